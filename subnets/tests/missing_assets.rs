//! Missing or wrong assets are errors that say to run scripts/setup.sh. Its own test binary
//! (one process, one test): ONNX Runtime must not have been loaded before.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use mindos_subnets::{load, EngineConfig, SubnetError};

#[test]
fn missing_library_and_models_name_the_setup_script() {
    let dir = tempfile::tempdir().unwrap();

    // No library: an error, not the panic `ort` would raise.
    let mut config = EngineConfig::default();
    config.ort_dylib_path = Some(dir.path().join("libonnxruntime.so.1.31.1"));
    let err = load("digits", &config).err().unwrap();
    let text = err.to_string();
    assert!(
        matches!(
            err,
            SubnetError::AssetMissing {
                what: "ONNX Runtime library",
                ..
            }
        ),
        "{text}"
    );
    assert!(
        text.contains("scripts/setup.sh") && text.contains("ORT_DYLIB_PATH"),
        "{text}"
    );

    // A file that is not a library.
    let fake = dir.path().join("libonnxruntime.so");
    std::fs::write(&fake, b"not a library").unwrap();
    config.ort_dylib_path = Some(fake);
    let err = load("digits", &config).err().unwrap();
    let text = err.to_string();
    assert!(matches!(err, SubnetError::RuntimeLoad { .. }), "{text}");
    assert!(text.contains("scripts/setup.sh"), "{text}");

    // No model: reported before the library is even needed.
    let mut config = EngineConfig::default();
    config.models_dir = Some(dir.path().join("models"));
    let err = load("text-embedding", &config).err().unwrap();
    let text = err.to_string();
    assert!(
        matches!(
            err,
            SubnetError::AssetMissing {
                what: "text-embedding model",
                ..
            }
        ),
        "{text}"
    );
    assert!(
        text.contains("scripts/setup.sh") && text.contains("MINDOS_MODELS_DIR"),
        "{text}"
    );

    // After the failures, the real library still loads.
    load("digits", &EngineConfig::default()).unwrap_or_else(|e| panic!("cannot load digits: {e}"));
}
