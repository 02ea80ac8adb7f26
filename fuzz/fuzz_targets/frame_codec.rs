//! The `/mindos/infer/1` frame codec over arbitrary byte streams delivered in arbitrary
//! chunk sizes: it never panics, never holds more memory for a frame than twice the bytes
//! that arrived (or its first buffer), keeps every size limit, and what it encodes it reads back.
//!
//! Input: `[limit: u16][mode: u8][n: u8][n chunk sizes][stream…]`.

#![no_main]

use std::{
    alloc::{GlobalAlloc, Layout, System},
    sync::atomic::{AtomicUsize, Ordering},
};

use libfuzzer_sys::fuzz_target;
use mindos_mesh::{
    fuzzing::{
        encode_request, encode_response, read_frame, read_request, read_response, Chunked, End,
        Frame, DRAIN_FACTOR, HEADER_LEN, INITIAL_BUFFER,
    },
    ErrorCode, InferRequest, InferResponse, NetUid, MIN_SIZE_LIMIT,
};

/// The system allocator, noting the largest single allocation since it was last reset.
struct Largest;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Largest {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Largest = Largest;

/// Most frames read from one input.
const MAX_FRAMES: usize = 256;

fuzz_target!(|data: &[u8]| {
    let Some((&[l0, l1, mode, n], rest)) = data.split_first_chunk::<4>() else {
        return;
    };
    let limit = MIN_SIZE_LIMIT + u32::from(u16::from_be_bytes([l0, l1]));
    let n = usize::from(n % 16).min(rest.len());
    let (chunks, stream) = rest.split_at(n);
    match mode % 4 {
        0 => raw_frames(stream, chunks, limit),
        1 => requests(stream, chunks, limit, mode),
        2 => responses(stream, chunks, limit),
        _ => round_trip(stream, chunks, limit),
    }
});

/// Raw frames: sizes and memory.
fn raw_frames(stream: &[u8], chunks: &[u8], limit: u32) {
    let mut reader = Chunked::new(stream, chunks);
    for _ in 0..MAX_FRAMES {
        let before = reader.remaining();
        LARGEST.store(0, Ordering::Relaxed);
        let frame = read_frame(&mut reader, limit);
        let largest = LARGEST.load(Ordering::Relaxed);
        let consumed = before - reader.remaining();
        // Memory follows what arrived: a peer that announces a large frame and stalls costs
        // no more than twice what it sent (the buffer doubles when full), or the first buffer.
        assert!(
            largest <= consumed.saturating_mul(2).max(INITIAL_BUFFER),
            "allocated {largest} bytes for a frame of which {consumed} bytes arrived"
        );
        match frame {
            Ok(Frame::Body { body, .. }) => {
                assert!(body.len() <= limit as usize);
                assert_eq!(consumed, HEADER_LEN + body.len());
                assert_eq!(body.capacity(), body.len(), "a body holds exactly its length");
            }
            Ok(Frame::Skipped { size, .. }) => {
                assert!(size > u64::from(limit) && size <= u64::from(limit) * DRAIN_FACTOR);
                assert_eq!(consumed as u64, HEADER_LEN as u64 + size);
            }
            Err(End::TooLarge { size, .. }) => {
                assert!(size > u64::from(limit) * DRAIN_FACTOR);
                assert_eq!(consumed, HEADER_LEN, "a frame too large to drain is not read");
                return;
            }
            Err(End::Clean) => {
                assert_eq!(reader.remaining(), 0);
                return;
            }
            Err(End::Io(_)) => return,
        }
    }
}

/// Requests as a server reads them, with a subnet limit on some inputs.
fn requests(stream: &[u8], chunks: &[u8], limit: u32, mode: u8) {
    let subnet_limit = (mode & 0x80 != 0).then_some((NetUid(u16::from(mode & 0x7)), 256));
    let mut reader = Chunked::new(stream, chunks);
    for _ in 0..MAX_FRAMES {
        let before = reader.remaining();
        match read_request(&mut reader, limit, subnet_limit) {
            Ok((_, Ok(request))) => {
                let size = before - reader.remaining() - HEADER_LEN;
                assert!(size <= limit as usize);
                if let Some((netuid, max)) = subnet_limit {
                    assert!(request.netuid != netuid || size <= max as usize);
                }
            }
            Ok((_, Err(_refused))) => {}
            Err(_) => return,
        }
    }
}

/// Answers as a caller reads them.
fn responses(stream: &[u8], chunks: &[u8], limit: u32) {
    let mut reader = Chunked::new(stream, chunks);
    for _ in 0..MAX_FRAMES {
        if read_response(&mut reader, limit).is_err() {
            return;
        }
    }
}

/// What the codec encodes it reads back, in any chunking, tags included.
fn round_trip(stream: &[u8], chunks: &[u8], limit: u32) {
    let Some((head, text)) = stream.split_first_chunk::<11>() else {
        return;
    };
    let [n0, n1, t0, t1, t2, t3, t4, t5, t6, t7, code] = *head;
    let tag = u64::from_be_bytes([t0, t1, t2, t3, t4, t5, t6, t7]);
    let text = String::from_utf8_lossy(text).into_owned();
    // Strings only: they round-trip exactly (floats are not guaranteed to without
    // serde_json's `float_roundtrip`).
    let request = InferRequest::encode(
        NetUid(u16::from_be_bytes([n0, n1])),
        tag.rotate_left(17),
        &text,
    )
    .expect("a string serialises");
    let mut wire = encode_request(tag, &request).expect("encodes");
    let request_limit = u32::try_from(wire.len() - HEADER_LEN)
        .unwrap()
        .max(MIN_SIZE_LIMIT);
    let response = match code % 3 {
        0 => InferResponse::encode_ok(&text).expect("a string serialises"),
        1 => InferResponse::error(ErrorCode::Busy, text.clone()),
        _ => InferResponse::error(ErrorCode::InvalidInput, text),
    };
    let answer = encode_response(tag, &response, limit);
    let fits = answer.len() - HEADER_LEN <= limit as usize
        && serde_json::to_vec(&response).unwrap().len() <= limit as usize;

    let mut reader = Chunked::new(&wire, chunks);
    assert_eq!(
        read_request(&mut reader, request_limit, None),
        Ok((tag, Ok(request)))
    );
    assert_eq!(read_request(&mut reader, request_limit, None), Err(End::Clean));

    wire.clear();
    wire.extend_from_slice(&answer);
    let mut reader = Chunked::new(&wire, chunks);
    let (got_tag, got) = read_response(&mut reader, limit).expect("an answer");
    assert_eq!(got_tag, tag);
    let got = got.expect("a well-formed answer");
    if fits {
        assert_eq!(got, response);
    } else {
        // Too large to send: replaced by a `too_large` error that fits.
        assert_eq!(got.error_code(), Some(ErrorCode::TooLarge));
    }
    assert_eq!(read_response(&mut reader, limit), Err(End::Clean));
}
