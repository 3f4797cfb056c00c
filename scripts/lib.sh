# Shared shell helpers for the scripts under scripts/ (sourced, not run).

# free_port: prints a loopback TCP port nothing listens on.
free_port() {
    local p
    while :; do
        p=$(( (RANDOM * 32768 + RANDOM) % 30000 + 20000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
}
