//! No input makes a subnet panic: random bytes, odd Unicode and odd numbers all give
//! `Ok` or a typed error, and every `Ok` output is valid.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use common::engine;
use mindos_subnets::{Input, Output, SubnetEngine};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn check_output(engine: &dyn SubnetEngine, output: &Output) {
    let bytes = engine.encode_output(output).unwrap();
    engine
        .decode_output(&bytes)
        .unwrap_or_else(|e| panic!("{}: produced an invalid output: {e}", engine.name()));
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for name in mindos_subnets::SUBNETS {
        let engine = engine(name);
        for _ in 0..2000 {
            let len = rng.below(64);
            let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            let _ = engine.decode_input(&bytes);
            let _ = engine.decode_output(&bytes);
        }
    }
}

#[test]
fn odd_texts_embed_or_fail_cleanly() {
    let engine = engine("text-embedding");
    let pieces = [
        "\u{0}",
        "\u{7}",
        "\t",
        "\n",
        "\r\n",
        " ",
        "\u{200b}",
        "\u{301}",
        "e\u{301}",
        "\u{feff}",
        "\u{ffff}",
        "\u{10ffff}",
        "😀",
        "👩‍👩‍👧",
        "東京",
        "مرحبا",
        "שלום",
        "[CLS]",
        "[SEP]",
        "[PAD]",
        "[UNK]",
        "[MASK]",
        "##ing",
        "a",
        "Z",
        "0",
        "...",
        "\\",
        "\"",
        "{}",
        "<s>",
        "ﬁ",
    ];
    let long_word = "x".repeat(300);
    let mut rng = Rng(42);
    for round in 0..300 {
        let count = rng.below(40);
        let mut t = String::new();
        for _ in 0..count {
            t.push_str(pieces[rng.below(pieces.len())]);
            if rng.below(3) == 0 {
                t.push(' ');
            }
        }
        if round % 50 == 0 {
            t.push_str(&long_word);
        }
        let input =
            Input::TextEmbedding(mindos_subnets::text_embedding::TextInput { text: t.clone() });
        match engine.validate_input(&input) {
            Ok(()) => {
                let out = engine
                    .infer_batch(vec![input])
                    .unwrap_or_else(|e| panic!("{t:?}: {e}"));
                check_output(&*engine, &out[0]);
            }
            Err(e) => assert!(e.is_bad_input(), "{t:?}: {e}"),
        }
    }
}

#[test]
fn odd_numbers_classify_or_fail_cleanly() {
    let engine = engine("digits");
    let numbers = [
        "0",
        "16",
        "16.0",
        "-0",
        "-0.0",
        "1e-45",
        "1e-400",
        "15.999999",
        "16.000001",
        "-1e-30",
        "1e39",
        "1e999",
        "-1e999",
        "3",
        "8.5",
        "0.1",
        "true",
        "null",
        "\"3\"",
        "[]",
    ];
    let mut rng = Rng(7);
    for _ in 0..500 {
        let len = if rng.below(4) == 0 { rng.below(70) } else { 64 };
        let pixels: Vec<&str> = (0..len)
            .map(|_| numbers[rng.below(numbers.len())])
            .collect();
        let body = format!(r#"{{"pixels": [{}]}}"#, pixels.join(","));
        match engine.decode_input(body.as_bytes()) {
            Ok(input) => {
                let out = engine
                    .infer_batch(vec![input])
                    .unwrap_or_else(|e| panic!("{body}: {e}"));
                check_output(&*engine, &out[0]);
            }
            Err(e) => assert!(e.is_bad_input(), "{body}: {e}"),
        }
    }
}
