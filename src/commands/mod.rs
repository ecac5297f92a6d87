//! The commands. Each takes its parsed arguments and returns an [`Exit`].

pub mod codes;
pub mod scan;
pub mod tail;

use anyhow::{anyhow, Result};

use crate::cli::ConfigArg;
use crate::config::Config;

/// How the process ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Success,
    /// Usage or config error, or an input that could not be read (the
    /// others were still processed).
    Trouble,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Trouble => 2,
        }
    }
}

pub fn load_config(arg: &ConfigArg) -> Result<Config> {
    Config::load(arg.config.as_deref()).map_err(|e| anyhow!(e))
}

/// `errscope check-config`: loads everything a run would build.
pub fn check_config(arg: &ConfigArg) -> Result<Exit> {
    let config = load_config(arg)?;
    let vendors = config
        .vendors()
        .map_err(|e| anyhow!("{}: {e}", config.shown()))?;
    println!("{}: OK", config.shown());
    for vendor in vendors.vendors() {
        println!(
            "  vendor {:<12} anchor {:<14} {} codes",
            vendor.id,
            format!("`{}`", vendor.anchor),
            vendor.catalog.distinct_codes()
        );
    }
    println!(
        "  inputs: {}",
        if config.file.inputs.is_empty() {
            "(none)".to_owned()
        } else {
            config.file.inputs.join(", ")
        }
    );
    println!("  alert rules: {}", config.file.alert.len());
    Ok(Exit::Success)
}
