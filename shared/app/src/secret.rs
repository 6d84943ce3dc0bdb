//! The local signing secret: 32 random bytes in `<data dir>/secret.key`,
//! made on first start (mode 0600) and reused after, so signed download
//! links survive a restart.

use std::io::Write as _;
use std::path::Path;

pub(crate) fn load_or_create(data_dir: &Path) -> std::io::Result<Vec<u8>> {
    let path = data_dir.join("secret.key");
    match std::fs::read_to_string(&path) {
        Ok(s) => hex::decode(s.trim()).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "{} is corrupt ({e}); delete it to make a new one",
                    path.display()
                ),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            blobs::private::dir(data_dir)?;
            let secret = crate::password::random_bytes(32);
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt as _;
                opts.mode(0o600);
            }
            let mut f = opts.open(&path)?;
            f.write_all(hex::encode(&secret).as_bytes())?;
            f.sync_all()?;
            Ok(secret)
        }
        Err(e) => Err(e),
    }
}
