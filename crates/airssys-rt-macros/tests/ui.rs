//! The compile errors of `#[actor]`, pinned with their text: a misuse gets one short error at
//! the place to fix, not a cascade from the code the attribute would have generated.

#[test]
fn misuses_of_the_attribute_are_short_clear_compile_errors() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
