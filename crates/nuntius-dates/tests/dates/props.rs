//! Properties that hold for any input: no panics, spans on char boundaries and in order.

use nuntius_dates::{date_from_url, find_dates, parse_date};
use proptest::prelude::*;

/// Strings rich in the characters dates are made of, so the scanner's paths are all exercised.
fn datelike() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            "[0-9]{1,4}",
            Just(".".to_owned()),
            Just("/".to_owned()),
            Just("-".to_owned()),
            Just(":".to_owned()),
            Just(" ".to_owned()),
            Just("T".to_owned()),
            Just("+".to_owned()),
            Just("\u{a0}".to_owned()),
            Just("٢".to_owned()),
            Just("febbraio".to_owned()),
            Just("Şubat".to_owned()),
            Just("كانون الثاني".to_owned()),
            Just("m.".to_owned()),
            Just("gada".to_owned()),
            Just("GMT".to_owned()),
            "\\PC{0,3}",
        ],
        0..24,
    )
    .prop_map(|parts| parts.concat())
}

fn check_spans(text: &str) {
    let mut last_end = 0;
    for mention in find_dates(text) {
        assert!(mention.start >= last_end && mention.start < mention.end);
        assert!(text.is_char_boundary(mention.start) && text.is_char_boundary(mention.end));
        assert!(mention.end <= text.len());
        last_end = mention.end;
    }
}

proptest! {
    #[test]
    fn arbitrary_strings_never_panic(text in any::<String>()) {
        check_spans(&text);
        let _ = parse_date(&text);
        let _ = date_from_url(&text);
    }

    #[test]
    fn datelike_strings_never_panic(text in datelike()) {
        check_spans(&text);
        let _ = parse_date(&text);
        let _ = date_from_url(&text);
    }
}
