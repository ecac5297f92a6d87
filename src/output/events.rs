//! `--events`: one JSON object a line for each counted error.

use serde_json::json;

use crate::aggregate::event::ErrorEvent;
use crate::timespec::rfc3339;

/// Appends `event` to `buffer` as one NDJSON line.
pub fn write_ndjson(buffer: &mut Vec<u8>, event: &ErrorEvent) {
    let line = json!({
        "time": event.event_time.map(|t| rfc3339(Some(t))),
        "vendor": event.vendor,
        "code": event.code,
        "status": event.status,
        "category": event.category,
        "description": event.description,
        "known": event.known,
        "message": event.message,
        "file": event.file,
        "line": event.line,
    });
    if serde_json::to_writer(&mut *buffer, &line).is_ok() {
        buffer.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;

    #[test]
    fn one_sorted_object_per_line() {
        let event = ErrorEvent {
            vendor: "codat".into(),
            code: "429".into(),
            status: Some(429),
            category: "limit".into(),
            description: "Too many requests".into(),
            known: true,
            message: "slow down".into(),
            event_time: Some(Timestamp::from_second(1_700_000_000).unwrap()),
            arrival: Timestamp::UNIX_EPOCH,
            file: "app.log".into(),
            line: 7,
        };
        let mut buffer = Vec::new();
        write_ndjson(&mut buffer, &event);
        write_ndjson(
            &mut buffer,
            &ErrorEvent {
                event_time: None,
                ..event
            },
        );
        let text = String::from_utf8(buffer).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            r#"{"category":"limit","code":"429","description":"Too many requests","file":"app.log","known":true,"line":7,"message":"slow down","status":429,"time":"2023-11-14T22:13:20Z","vendor":"codat"}"#
        );
        assert!(lines[1].contains(r#""time":null"#));
        assert_eq!(lines.len(), 2);
    }
}
