//! Where a file starts being read when `tail` first sees it: a pure
//! decision over what the checkpoint knows of its identity, what the file
//! holds now, and the settings (as Vector's file source decides its
//! `ReadFrom`). The aggregator gathers the facts; this says what they mean.

/// Where reading a file begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadFrom {
    /// Offset 0: content new since errscope last looked.
    Beginning,
    /// The end of its last complete line: content that is not to be
    /// counted (present at the very first start, or a copy of bytes
    /// already counted).
    End,
    /// Where a checkpoint left this identity: `lines` lines before `offset`.
    Checkpoint { offset: u64, lines: u64 },
}

/// A position saved for the file's identity (device and inode): in the
/// checkpoint's followed files, or among the identities let go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Saved {
    pub offset: u64,
    pub lines: u64,
    /// The file still starts with the fingerprinted bytes (an inode reused
    /// for other content does not).
    pub same_content: bool,
}

/// What is known of a file seen for the first time by this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub saved: Option<Saved>,
    /// The file's size now.
    pub size: u64,
    /// Its fingerprint is that of a followed file, or of one truncated
    /// since: a copytruncate copy of counted bytes.
    pub copy_of_counted: bool,
    /// No checkpoint existed and this is the first listing of the inputs.
    pub first_start: bool,
    /// `--from-beginning`: files present at the first start are read whole.
    pub from_beginning: bool,
}

/// Where to start, given `facts`.
pub fn read_from(facts: &Facts) -> ReadFrom {
    if let Some(saved) = facts.saved {
        // Shorter than the checkpoint: truncated while errscope was down,
        // so the saved offset means nothing for what is there now.
        if saved.same_content && saved.offset <= facts.size {
            return ReadFrom::Checkpoint {
                offset: saved.offset,
                lines: saved.lines,
            };
        }
    }
    if facts.copy_of_counted || (facts.first_start && !facts.from_beginning) {
        ReadFrom::End
    } else {
        ReadFrom::Beginning
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        Facts {
            saved: None,
            size: 1000,
            copy_of_counted: false,
            first_start: false,
            from_beginning: false,
        }
    }

    fn saved(offset: u64, same_content: bool) -> Option<Saved> {
        Some(Saved {
            offset,
            lines: 7,
            same_content,
        })
    }

    #[test]
    fn a_file_new_since_the_last_look_is_read_whole() {
        assert_eq!(read_from(&facts()), ReadFrom::Beginning);
    }

    #[test]
    fn files_present_at_the_first_start_begin_at_their_end() {
        let first = Facts {
            first_start: true,
            ..facts()
        };
        assert_eq!(read_from(&first), ReadFrom::End);
        let whole = Facts {
            from_beginning: true,
            ..first
        };
        assert_eq!(read_from(&whole), ReadFrom::Beginning);
    }

    #[test]
    fn a_checkpointed_identity_resumes_at_its_offset() {
        let resumed = Facts {
            saved: saved(400, true),
            ..facts()
        };
        let expected = ReadFrom::Checkpoint {
            offset: 400,
            lines: 7,
        };
        assert_eq!(read_from(&resumed), expected);
        // Even at the first listing and with --from-beginning: the
        // checkpoint's counts already hold the bytes before it.
        let first = Facts {
            first_start: true,
            from_beginning: true,
            ..resumed
        };
        assert_eq!(read_from(&first), expected);
        // A file that grew to exactly the offset, or not at all.
        let at_end = Facts {
            saved: saved(1000, true),
            ..facts()
        };
        assert!(matches!(
            read_from(&at_end),
            ReadFrom::Checkpoint { offset: 1000, .. }
        ));
    }

    #[test]
    fn a_checkpoint_past_the_end_or_of_other_content_is_not_used() {
        let truncated = Facts {
            saved: saved(1001, true),
            ..facts()
        };
        assert_eq!(read_from(&truncated), ReadFrom::Beginning);
        let reused_inode = Facts {
            saved: saved(10, false),
            ..facts()
        };
        assert_eq!(read_from(&reused_inode), ReadFrom::Beginning);
    }

    #[test]
    fn a_copy_of_counted_bytes_begins_at_its_end() {
        let copy = Facts {
            copy_of_counted: true,
            from_beginning: true,
            ..facts()
        };
        assert_eq!(read_from(&copy), ReadFrom::End);
        // Its own checkpoint still wins: the copy was followed before.
        let followed_copy = Facts {
            saved: saved(5, true),
            ..copy
        };
        assert!(matches!(
            read_from(&followed_copy),
            ReadFrom::Checkpoint { offset: 5, .. }
        ));
    }
}
