//! Files and directories only this process's user may read: the data
//! directory (0700) and what is kept in it, recordings above all (0600).
//! Written here once for every crate that keeps files (the blob store, the
//! app's secrets, the edge's recordings and spool).

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// Creates `dir` and any missing parents 0700; makes `dir` itself 0700
/// if it was there already.
pub fn dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Options that create files 0600 (add `write`, `create`, ... as needed).
pub fn options() -> OpenOptions {
    let mut o = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        o.mode(0o600);
    }
    o
}

/// Creates (or truncates) `path` as a 0600 file, as `File::create` would.
pub fn create(path: &Path) -> io::Result<File> {
    options().write(true).create(true).truncate(true).open(path)
}

/// Writes `bytes` to a 0600 file at `path`, as `std::fs::write` would.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write as _;
    create(path)?.write_all(bytes)
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn directories_are_0700_and_files_0600() {
        let t = tempfile::tempdir().expect("tmp");
        let d = t.path().join("data");
        super::dir(&d).expect("dir");
        super::write(&d.join("f"), b"x").expect("write");
        let mode =
            |p: &std::path::Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&d), 0o700);
        assert_eq!(mode(&d.join("f")), 0o600);
        // Parents made on the way are private too (a blob's key has folders).
        let deep = d.join("meta").join("recordings").join("2026-12");
        super::dir(&deep).expect("dir");
        for p in [d.join("meta"), d.join("meta").join("recordings"), deep] {
            assert_eq!(mode(&p), 0o700, "{}", p.display());
        }
    }
}
