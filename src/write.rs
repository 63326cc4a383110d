//! Writing results to disk: atomically (a temporary file beside the target, fsync, rename),
//! keeping the file's permissions, and only when the file still holds the text the rules saw.

use std::io::Write as _;
use std::path::Path;

/// Why a file was not written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("the file changed on disk while pgshift ran; run again")]
    ChangedOnDisk,
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Replaces the contents of `path` with `contents`, provided it still reads `expected`.
pub fn write_atomically(path: &Path, expected: &str, contents: &str) -> Result<(), WriteError> {
    let current = std::fs::read(path)?;
    if current != expected.as_bytes() {
        return Err(WriteError::ChangedOnDisk);
    }
    let permissions = std::fs::metadata(path)?.permissions();
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(".pgshift-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    temp.write_all(contents.as_bytes())?;
    temp.as_file().sync_all()?;
    std::fs::set_permissions(temp.path(), permissions)?;
    temp.persist(path).map_err(|e| WriteError::Io(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_contents_and_keeps_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.ts");
        std::fs::write(&path, "old").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        }
        write_atomically(&path, "old", "new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o640);
        }
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
    }

    #[test]
    fn refuses_when_the_file_changed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.ts");
        std::fs::write(&path, "edited by someone").unwrap();
        assert!(matches!(
            write_atomically(&path, "old", "new"),
            Err(WriteError::ChangedOnDisk)
        ));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "edited by someone");
    }
}
