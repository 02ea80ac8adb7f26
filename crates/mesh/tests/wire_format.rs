//! `/mindos/infer/1` on the wire, byte for byte: golden frames that every version must read
//! and write the same way, so that old and new peers interoperate. A frame is an 8-byte
//! big-endian tag, a 4-byte big-endian body length and the JSON body; the envelope's fields
//! come in this order, and a payload travels as the text its sender wrote (a relay or a
//! re-encoding does not reorder, re-space or re-spell it).

#![allow(
    clippy::arithmetic_side_effects,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    missing_docs
)]

use mindos_mesh::{
    fuzzing::{encode_request, encode_response, read_request, read_response, Chunked, End},
    ErrorCode, InferRequest, InferResponse,
};

/// `body` framed with tag `tag`.
fn golden(tag: u64, body: &str) -> Vec<u8> {
    let mut wire = tag.to_be_bytes().to_vec();
    wire.extend_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes());
    wire.extend_from_slice(body.as_bytes());
    wire
}

const LIMIT: u32 = 64 * 1024;

#[test]
fn the_frame_layout_is_fixed() {
    let wire = golden(
        0x0102_0304_0506_0708,
        r#"{"status":"err","code":"busy","message":"hot"}"#,
    );
    assert_eq!(
        wire[..12],
        [1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 46],
        "tag, then body length, big-endian"
    );
    let response: InferResponse = serde_json::from_slice(&wire[12..]).unwrap();
    assert_eq!(response, InferResponse::error(ErrorCode::Busy, "hot"));
    assert_eq!(
        encode_response(0x0102_0304_0506_0708, &response, LIMIT),
        wire
    );
}

#[test]
fn golden_requests_are_read_and_written_byte_for_byte() {
    for body in [
        r#"{"netuid":1,"request_id":42,"payload":{"pixels":[0,0,5,13,9,1,0,0]}}"#,
        r#"{"netuid":65535,"request_id":18446744073709551615,"payload":{"text":"A man is playing a guitar."}}"#,
        r#"{"netuid":3,"request_id":0,"payload":null}"#,
        // As its sender wrote it: keys out of order, spaces, a trailing zero, an escape.
        r#"{"netuid":1,"request_id":9,"payload":{"text": "caf\u00e9", "a":[1.50, 2e3]}}"#,
    ] {
        let wire = golden(7, body);
        let mut stream = Chunked::new(&wire, &[3, 1, 250]);
        let (tag, request) = read_request(&mut stream, LIMIT, None).unwrap();
        assert_eq!(tag, 7);
        let request: InferRequest = request.unwrap();
        assert_eq!(read_request(&mut stream, LIMIT, None), Err(End::Clean));
        assert_eq!(
            String::from_utf8(encode_request(7, &request).unwrap()[12..].to_vec()).unwrap(),
            body,
            "re-encoded"
        );
        let parsed: InferRequest = serde_json::from_str(body).unwrap();
        assert_eq!(parsed, request);
    }
}

#[test]
fn golden_responses_are_read_and_written_byte_for_byte() {
    for body in [
        r#"{"status":"ok","payload":{"label":3,"probabilities":[0.0,0.0,0.0,1.0,0.0,0.0,0.0,0.0,0.0,0.0]}}"#,
        r#"{"status":"ok","payload":{"embedding":[0.0157,-0.0372,1e-7]}}"#,
        r#"{"status":"ok","payload":null}"#,
        r#"{"status":"err","code":"unauthorized","message":"who are you"}"#,
        r#"{"status":"err","code":"invalid_input","message":"an input has `text` or `pixels`"}"#,
        r#"{"status":"err","code":"unknown_subnet","message":""}"#,
        r#"{"status":"err","code":"too_large","message":"x"}"#,
        r#"{"status":"err","code":"internal","message":"x"}"#,
        r#"{"status":"err","code":"timeout","message":"x"}"#,
        // As its sender wrote it.
        r#"{"status":"ok","payload":{"probabilities": [1.50], "label":3}}"#,
    ] {
        let wire = golden(u64::MAX, body);
        let mut stream = Chunked::new(&wire, &[5]);
        let (tag, response) = read_response(&mut stream, LIMIT).unwrap();
        assert_eq!(tag, u64::MAX);
        let response = response.unwrap();
        assert_eq!(read_response(&mut stream, LIMIT), Err(End::Clean));
        assert_eq!(encode_response(u64::MAX, &response, LIMIT), wire, "{body}");
    }
}
