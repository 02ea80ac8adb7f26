//! H1/L13: a request is decoded without building its payload into a JSON tree. A stranger's
//! frame of `n` bytes costs the link at most about `2n` while it is read and decoded (its
//! body, and the payload's text copied out of it), whatever its JSON: a flat array of small
//! numbers, which a `serde_json::Value` tree holds in 16 bytes or more per byte of input,
//! or deep nesting.
//!
//! Measured with a global allocator that counts the bytes live on the test's own thread,
//! around the codec's read of one frame (the `fuzzing` feature's in-memory stream).

#![allow(
    clippy::arithmetic_side_effects,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    missing_docs
)]

use std::{
    alloc::{GlobalAlloc, Layout, System},
    cell::Cell,
    sync::atomic::{AtomicIsize, Ordering},
};

use mindos_mesh::{
    fuzzing::{read_request, Chunked},
    NetUid,
};

/// The system allocator, counting the bytes allocated and freed by threads that opted in.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

thread_local! {
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

fn note(delta: isize) {
    if COUNTED.try_with(Cell::get).unwrap_or(false) {
        let live = LIVE.fetch_add(delta, Ordering::Relaxed) + delta;
        PEAK.fetch_max(live, Ordering::Relaxed);
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size() as isize);
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size() as isize);
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size as isize - layout.size() as isize);
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note(-(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// `f`'s result and the most bytes this thread held at once while it ran (what it returns
/// included).
fn peak_while<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LIVE.store(0, Ordering::Relaxed);
    PEAK.store(0, Ordering::Relaxed);
    COUNTED.with(|c| c.set(true));
    let out = f();
    COUNTED.with(|c| c.set(false));
    (
        out,
        usize::try_from(PEAK.load(Ordering::Relaxed)).unwrap_or(0),
    )
}

/// One request frame (tag 7) whose payload is `payload`.
fn frame(payload: &str) -> Vec<u8> {
    let body = format!(r#"{{"netuid":1,"request_id":7,"payload":{payload}}}"#);
    let mut wire = 7u64.to_be_bytes().to_vec();
    wire.extend_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes());
    wire.extend_from_slice(body.as_bytes());
    wire
}

/// Reads `wire` as a server's link does and returns the bytes it held at most.
fn decode_peak(wire: &[u8]) -> usize {
    let limit = u32::try_from(wire.len()).unwrap();
    let mut stream = Chunked::new(wire, &[]);
    let (read, peak) = peak_while(|| read_request(&mut stream, limit, None));
    let (tag, request) = read.expect("a frame");
    assert_eq!(tag, 7);
    // The mesh checks syntax only: the payload reaches the application, whose subnet
    // decodes it typed (and refuses it).
    let request = request.expect("a well-formed request is handed on");
    assert_eq!(request.netuid, NetUid(1));
    peak
}

/// At most twice the frame, and the codec's first 16 KiB buffer and small change.
fn assert_about_twice(what: &str, wire: &[u8], peak: usize) {
    let bound = 2 * wire.len() + 32 * 1024;
    assert!(
        peak <= bound,
        "{what}: decoding a {}-byte frame held {peak} bytes at once (at most {bound} expected)",
        wire.len()
    );
}

#[test]
fn decoding_a_request_holds_about_twice_its_bytes_whatever_its_json() {
    // 256 KiB of `0,`: 131,072 numbers, which a JSON tree holds in 32 bytes each or more.
    let zeros = format!("[{}0]", "0,".repeat(128 * 1024));
    let wire = frame(&zeros);
    let peak = decode_peak(&wire);
    assert_about_twice("a flat array", &wire, peak);

    // 200 KB of nesting: `[[[…]]]`, 100,000 levels deep.
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let wire = frame(&nested);
    let peak = decode_peak(&wire);
    assert_about_twice("deep nesting", &wire, peak);

    // An object per number, as a hostile "pixels" might be.
    let objects = format!("{{\"pixels\":[{}{{}}]}}", "{},".repeat(64 * 1024));
    let wire = frame(&objects);
    let peak = decode_peak(&wire);
    assert_about_twice("an array of objects", &wire, peak);
}
