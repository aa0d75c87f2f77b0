//! Test helper: import by one of the built-in roles (its kind, and its own options such as the
//! ground-truth minimum size), as the app does.

use std::path::Path;

use animatrix_media::{AssetStore, ImportOptions, ImportedMedia, MediaError, Role};

pub trait ImportAs {
    fn import_as(
        &self,
        path: &Path,
        role: Role,
        options: &ImportOptions,
    ) -> Result<ImportedMedia, MediaError>;
}

impl ImportAs for AssetStore {
    fn import_as(
        &self,
        path: &Path,
        role: Role,
        options: &ImportOptions,
    ) -> Result<ImportedMedia, MediaError> {
        self.import(path, role.kind(), &role.import_options(options))
    }
}
