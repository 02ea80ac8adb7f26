//! Secret key files: created readable by the owner only, and a warning when an existing one
//! is not.
//!
//! The account keys (`mindos_chain_client::keys`) and the libp2p identity
//! (`mindos_mesh::keys`) hold different secrets in different formats, but guard their files
//! the same way; this module is that one way. It needs no feature and no heavy dependency,
//! so those libraries can use it.

use std::{
    fs,
    io::{self, Write},
    path::Path,
};

/// Creates `path` (and missing parent directories) holding `contents`, mode `0600` on Unix,
/// synced to disk — the file and, on Unix, the directory entries that name it (its folder,
/// and each folder this call created): a power loss right after a new key was funded or
/// registered must not lose the key. Fails with [`io::ErrorKind::AlreadyExists`] if the
/// file exists, so two processes creating the same key cannot overwrite each other's: the
/// loser loads the winner's.
pub fn write_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    let parent = dir_or_cwd(path.parent().unwrap_or(Path::new("")));
    // The nearest folder that exists already: the entries below it are new.
    let existing = parent
        .ancestors()
        .map(dir_or_cwd)
        .find(|dir| dir.exists())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    fs::create_dir_all(parent)?;
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()?;
    // Directories cannot be opened for syncing on Windows; there the file's sync is all.
    #[cfg(unix)]
    for dir in parent.ancestors().map(dir_or_cwd) {
        fs::File::open(dir)?.sync_all()?;
        if dir == existing {
            break;
        }
    }
    Ok(())
}

/// `.` for the empty path a relative file name has as its parent.
fn dir_or_cwd(dir: &Path) -> &Path {
    if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }
}

/// Logs a warning if `path` (a `what`, e.g. "node key file") is readable by group or others.
/// Only a warning: refusing to start over a mode would turn a fixable exposure into an
/// outage.
pub fn warn_if_exposed(path: &Path, what: &str) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = fs::metadata(path) {
            let mode = meta.permissions().mode();
            if mode & 0o077 != 0 {
                tracing::warn!(
                    path = %path.display(),
                    mode = format_args!("{:o}", mode & 0o777),
                    "{what} is readable by other users; chmod 600 it"
                );
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (path, what);
}
