//! The terminal loop: raw mode and the alternate screen (given back on
//! every way out, a panic included), keys and resizes read, the updates
//! from the pipeline applied, a frame drawn when something changed and at
//! least once a second.
//!
//! Keys are read on a thread of their own: crossterm's read loop spins
//! without returning once its terminal is gone (a closed window, a killed
//! tmux), so this loop never waits inside it. It notices the terminal gone
//! itself (stdout no longer a terminal) and ends.

use std::io::{self, IsTerminal};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use ratatui::crossterm::event::{self, Event};
use ratatui::DefaultTerminal;

use super::state::{Action, Top, Update};
use super::view::{self, Look};

/// The screen is redrawn at least this often (rates move with the clock).
const REFRESH: Duration = Duration::from_secs(1);
/// Events are waited for this long between looks at the updates.
const POLL: Duration = Duration::from_millis(100);
/// Updates applied between two frames, at most (a flood still redraws).
const UPDATES_PER_FRAME: usize = 50_000;

/// Why the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The user quit.
    Quit,
    /// The pipeline stopped by itself (SIGTERM, or it failed).
    PipelineStopped,
    /// The terminal went away (hung up, closed).
    TerminalGone,
}

/// What the loop reads besides the keyboard.
pub struct Inputs<'a> {
    pub updates: &'a Receiver<Update>,
    /// Diagnostic lines, shown as warnings.
    pub diagnostics: &'a Receiver<String>,
    /// Whether the pipeline has stopped.
    pub stopped: &'a dyn Fn() -> bool,
}

/// Takes the terminal, runs until the user quits or the pipeline stops,
/// and gives the terminal back.
pub fn run(top: &mut Top, look: &Look, inputs: &Inputs<'_>) -> io::Result<Ending> {
    let mut terminal = match ratatui::try_init() {
        Ok(terminal) => terminal,
        Err(e) => {
            let _ = ratatui::try_restore();
            return Err(e);
        }
    };
    let ending = event_loop(&mut terminal, top, look, inputs);
    let cursor = terminal.show_cursor();
    let restored = ratatui::try_restore();
    let ending = ending?;
    if ending != Ending::TerminalGone {
        restored?;
        cursor?;
    }
    Ok(ending)
}

/// Reads terminal events on their own thread until the terminal fails or
/// the loop is gone.
fn read_events() -> io::Result<Receiver<Event>> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("errscope-keys".into())
        .spawn(move || {
            while let Ok(event) = event::read() {
                if tx.send(event).is_err() {
                    return;
                }
            }
        })?;
    Ok(rx)
}

fn event_loop(
    terminal: &mut DefaultTerminal,
    top: &mut Top,
    look: &Look,
    inputs: &Inputs<'_>,
) -> io::Result<Ending> {
    let events = read_events()?;
    let mut drawn: Option<Instant> = None;
    let mut changed = true;
    loop {
        if !io::stdout().is_terminal() {
            return Ok(Ending::TerminalGone);
        }
        for update in inputs.updates.try_iter().take(UPDATES_PER_FRAME) {
            top.update(update);
            changed = true;
        }
        for line in inputs.diagnostics.try_iter().take(100) {
            top.update(Update::Warning(Timestamp::now(), line));
            changed = true;
        }
        top.live_mut().advance(Timestamp::now());
        if changed || drawn.is_none_or(|at| at.elapsed() >= REFRESH) {
            terminal.draw(|frame| view::draw(frame, top, look))?;
            drawn = Some(Instant::now());
            changed = false;
        }
        if (inputs.stopped)() {
            return Ok(Ending::PipelineStopped);
        }
        match events.recv_timeout(POLL) {
            Ok(Event::Key(key)) => {
                if top.key(key) == Action::Quit {
                    return Ok(Ending::Quit);
                }
                changed = true;
            }
            Ok(Event::Resize(..)) => changed = true,
            Ok(_) | Err(RecvTimeoutError::Timeout) => {}
            // The reader failed: the terminal is gone.
            Err(RecvTimeoutError::Disconnected) => return Ok(Ending::TerminalGone),
        }
    }
}
