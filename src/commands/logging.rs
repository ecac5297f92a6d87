//! How errscope's own diagnostics reach stderr.

use tracing_subscriber::fmt::format::{self, FormatEvent, FormatFields};
use tracing_subscriber::fmt::FmtContext;
use tracing_subscriber::registry::LookupSpan;

/// Warnings logged through `tracing` (alert sinks that fail or drop
/// notices, the metrics server) go to stderr as `errscope: warning: ...`,
/// like the others; `ERRSCOPE_LOG` (an `EnvFilter` directive such as
/// `debug`) changes the level.
pub fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ERRSCOPE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"))
        .add_directive(
            format!("{}=info", crate::NOTICE)
                .parse()
                .unwrap_or_else(|_| tracing::Level::INFO.into()),
        );
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .event_format(Plain)
        .try_init();
}

/// `errscope: warning: message`; a [`crate::NOTICE`] as `errscope: message`.
struct Plain;

impl<S, N> FormatEvent<S, N> for Plain
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        if event.metadata().target() == crate::NOTICE {
            write!(writer, "errscope: ")?;
        } else {
            let level = match *event.metadata().level() {
                tracing::Level::ERROR => "error",
                tracing::Level::WARN => "warning",
                _ => "note",
            };
            write!(writer, "errscope: {level}: ")?;
        }
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}
