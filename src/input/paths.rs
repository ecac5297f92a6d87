//! Expanding the user's arguments (files, directories, globs, `-`) into the
//! list of sources to read.

use std::path::{Path, PathBuf};

/// One thing to read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Source {
    Stdin,
    File(PathBuf),
}

impl Source {
    /// The name used in reports and messages.
    pub fn name(&self) -> String {
        match self {
            Source::Stdin => "-".to_owned(),
            Source::File(path) => path.display().to_string(),
        }
    }
}

/// An argument that named nothing readable.
#[derive(Debug, thiserror::Error)]
pub enum PathError {
    #[error("{0}: no such file or directory")]
    Missing(String),
    #[error("{0}: the glob matched no file")]
    NoMatch(String),
    #[error("{pattern}: bad glob: {message}")]
    BadGlob { pattern: String, message: String },
    #[error("{path}: {source}")]
    Walk {
        path: String,
        #[source]
        source: walkdir::Error,
    },
}

fn is_glob(arg: &str) -> bool {
    arg.contains(['*', '?', '['])
}

/// Expands arguments in order: `-` is stdin, a directory is walked
/// recursively (sorted by name, regular files only), a glob is expanded
/// (sorted). Errors are returned beside the sources found, so the rest can
/// still be read.
pub fn expand(args: &[String]) -> (Vec<Source>, Vec<PathError>) {
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut push = |source: Source, sources: &mut Vec<Source>| {
        if seen.insert(source.clone()) {
            sources.push(source);
        }
    };
    for arg in args {
        if arg == "-" {
            push(Source::Stdin, &mut sources);
            continue;
        }
        let path = Path::new(arg);
        if path.is_dir() {
            for entry in walkdir::WalkDir::new(path)
                .follow_links(true)
                .sort_by_file_name()
            {
                match entry {
                    Ok(entry) if entry.file_type().is_file() => {
                        push(Source::File(entry.into_path()), &mut sources)
                    }
                    Ok(_) => {}
                    Err(source) => errors.push(PathError::Walk {
                        path: arg.clone(),
                        source,
                    }),
                }
            }
        } else if path.exists() {
            push(Source::File(path.to_path_buf()), &mut sources);
        } else if is_glob(arg) {
            match glob::glob(arg) {
                Ok(paths) => {
                    let mut matched: Vec<PathBuf> = paths
                        .filter_map(Result::ok)
                        .filter(|p| p.is_file())
                        .collect();
                    matched.sort();
                    if matched.is_empty() {
                        errors.push(PathError::NoMatch(arg.clone()));
                    }
                    for p in matched {
                        push(Source::File(p), &mut sources);
                    }
                }
                Err(e) => errors.push(PathError::BadGlob {
                    pattern: arg.clone(),
                    message: e.to_string(),
                }),
            }
        } else {
            errors.push(PathError::Missing(arg.clone()));
        }
    }
    (sources, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_dirs_globs_and_reports_missing() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("sub")).unwrap();
        for name in ["b.log", "a.log", "sub/c.log", "x.txt"] {
            std::fs::write(root.join(name), "x\n").unwrap();
        }
        let args = vec![
            root.join("sub").display().to_string(),
            format!("{}/*.log", root.display()),
            root.join("a.log").display().to_string(),
            "-".into(),
            root.join("missing").display().to_string(),
            format!("{}/*.nope", root.display()),
        ];
        let (sources, errors) = expand(&args);
        let names: Vec<String> = sources
            .iter()
            .map(|s| s.name().replace(&root.display().to_string(), ""))
            .collect();
        assert_eq!(names, vec!["/sub/c.log", "/a.log", "/b.log", "-"]);
        assert_eq!(errors.len(), 2);
        assert!(errors[0].to_string().contains("missing"));
    }
}
