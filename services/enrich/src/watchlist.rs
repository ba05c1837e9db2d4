//! The user's entity watch-list: a file in the entity-list format, loaded at
//! start and reloaded when it changes, without a restart.
//!
//! Readers take the current [`EntityIndex`] (project list plus watch-list) as
//! an `Arc` and keep it for one article; a reload builds a new index aside and
//! swaps it in, so an article is never matched against half a list. A file
//! that fails to parse leaves the previous index in place.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use crate::entities::{self, EntityIndex, EntityListError};

/// Why a watch-list could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum WatchlistError {
    #[error("reading {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parse {
        path: PathBuf,
        source: EntityListError,
    },
}

/// A watch-list file and the index built from it.
#[derive(Debug)]
pub struct Watchlist {
    path: PathBuf,
    index: RwLock<Arc<EntityIndex>>,
    /// Modification time of the file last loaded.
    loaded: Mutex<Option<SystemTime>>,
    /// Entities in the file last loaded.
    entities: Mutex<usize>,
}

impl Watchlist {
    /// Loads `path`.
    ///
    /// # Errors
    /// When the file cannot be read or has a malformed line.
    pub fn load(path: &Path) -> Result<Self, WatchlistError> {
        let (index, count, mtime) = build(path)?;
        Ok(Self {
            path: path.to_path_buf(),
            index: RwLock::new(Arc::new(index)),
            loaded: Mutex::new(mtime),
            entities: Mutex::new(count),
        })
    }

    /// The index to match an article against.
    pub fn current(&self) -> Arc<EntityIndex> {
        self.index
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Entities in the watch-list file.
    pub fn entities(&self) -> usize {
        *self
            .entities
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The watched file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reloads the file if its modification time changed; returns whether it did.
    ///
    /// # Errors
    /// When the changed file cannot be read or parsed; the old index stays.
    pub fn reload_if_changed(&self) -> Result<bool, WatchlistError> {
        let mtime = modified(&self.path)?;
        let mut loaded = self
            .loaded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if mtime == *loaded {
            return Ok(false);
        }
        // Remember the attempt even if it fails, so a broken file is reported once.
        *loaded = mtime;
        let (index, count, _) = build(&self.path)?;
        *self
            .index
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(index);
        *self
            .entities
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = count;
        Ok(true)
    }
}

fn modified(path: &Path) -> Result<Option<SystemTime>, WatchlistError> {
    std::fs::metadata(path)
        .map(|m| m.modified().ok())
        .map_err(|source| WatchlistError::Read {
            path: path.to_path_buf(),
            source,
        })
}

fn build(path: &Path) -> Result<(EntityIndex, usize, Option<SystemTime>), WatchlistError> {
    let mtime = modified(path)?;
    let text = std::fs::read_to_string(path).map_err(|source| WatchlistError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let watched = entities::parse_list(&text).map_err(|source| WatchlistError::Parse {
        path: path.to_path_buf(),
        source,
    })?;
    let count = watched.len();
    let builtin =
        entities::parse_list(entities::BUILTIN).expect("the project's entity list parses");
    Ok((
        EntityIndex::with_links([builtin, watched], entities::generated()),
        count,
        mtime,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fold::Folded;

    fn ids(list: &Watchlist, text: &str) -> Vec<String> {
        let folded = Folded::new(text);
        entities::known_entities(text, &folded, &list.current())
            .into_iter()
            .filter_map(|e| e.id)
            .collect()
    }

    #[test]
    fn loads_and_reloads_when_the_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("watch.tsv");
        std::fs::write(
            &path,
            "w:acme\torganization\tAcme Corp\ten:Acme Corp|ar:أكمي\n",
        )
        .unwrap();
        let list = Watchlist::load(&path).unwrap();
        assert_eq!(list.entities(), 1);
        assert_eq!(ids(&list, "Acme Corp and ISIS"), ["w:acme", "Q2429253"]);
        assert!(!list.reload_if_changed().unwrap());

        std::fs::write(&path, "w:globex\torganization\tGlobex\ten:Globex\n").unwrap();
        mark_modified(&path);
        assert!(list.reload_if_changed().unwrap());
        assert_eq!(ids(&list, "Acme Corp and Globex"), ["w:globex"]);
    }

    /// Moves the file's modification time forward, as a later edit would.
    fn mark_modified(path: &std::path::Path) {
        let later = SystemTime::now() + std::time::Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(later)
            .unwrap();
    }

    #[test]
    fn a_broken_file_keeps_the_previous_list() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("watch.tsv");
        std::fs::write(&path, "w:acme\torganization\tAcme Corp\ten:Acme Corp\n").unwrap();
        let list = Watchlist::load(&path).unwrap();
        std::fs::write(&path, "broken line\n").unwrap();
        mark_modified(&path);
        assert!(list.reload_if_changed().is_err());
        assert_eq!(ids(&list, "Acme Corp"), ["w:acme"]);
        assert!(Watchlist::load(&dir.path().join("missing.tsv")).is_err());
    }
}
