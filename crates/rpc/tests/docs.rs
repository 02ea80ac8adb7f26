//! The README (also the crate docs) documents every `mindos_*` method and error code the code
//! defines, so the two cannot drift apart.

#![allow(clippy::expect_used, missing_docs)]

use std::fs;

fn crate_file(path: &str) -> String {
    // Cargo's runtime value, not `env!`: a reused test binary may come from another checkout.
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    fs::read_to_string(format!("{dir}/{path}")).expect("readable crate file")
}

#[test]
fn readme_documents_every_method_and_error_code() {
    let source = ["src/lib.rs", "src/sentinels.rs"].map(crate_file).concat();
    let readme = crate_file("README.md");

    let methods: Vec<&str> = source
        .split("#[method(name = \"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert!(methods.len() >= 10, "found only {methods:?} in src/");
    for method in methods {
        assert!(
            readme.contains(&format!("`mindos_{method}(")),
            "README lacks `mindos_{method}`"
        );
    }

    // The metagraph's default page, as the README writes numbers (1,024).
    let page = mindos_rpc::METAGRAPH_PAGE;
    let written = if page >= 1_000 {
        format!("{},{:03}", page / 1_000, page % 1_000)
    } else {
        page.to_string()
    };
    assert!(
        readme.contains(&format!("defaults 0 and {written}")),
        "README states another default metagraph page than {page}"
    );

    for code in [
        mindos_rpc::UNKNOWN_SUBNET,
        mindos_rpc::UNKNOWN_NEURON,
        mindos_rpc::COMMITTEE_NOT_STORED,
        mindos_rpc::RUNTIME_ERROR,
    ] {
        assert!(
            readme.contains(&format!("`{code}`")),
            "README lacks error {code}"
        );
    }
}
