//! Unit tests of the transaction commands (exact reply bytes).

use crate::commands::testing::Harness;

#[test]
fn placeholder() {
    let mut h = Harness::new();
    assert_eq!(h.run_str(&["multi"]), "+OK\r\n");
}
