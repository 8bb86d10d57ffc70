//! libyaml's event parser (the `libyaml-rs` crate: libyaml transpiled to Rust, kept by the YAML
//! organisation) as a safe pull parser of owned events. This file is the yaml module's only
//! `unsafe` code.
//!
//! Why libyaml rather than yaml-rust2 (which `config` uses for app files): yaml-rust2 reads a
//! whole flow collection (`[1, 2, ...]`) as tokens before it reports its first event, since any
//! of them might turn out to be a mapping key, and for a 16 MB `[1,1,...]` that took 1.6 GB of
//! host memory and two seconds no deadline could interrupt. libyaml gives up on a key after 1024
//! characters, so it reads ahead a bounded amount and reports events as it goes, and its reader
//! takes the text 16 KiB at a time.
//!
//! ```text
//! let mut parser = Parser::new("a: [1, 2]");
//! parser.next()?  // (Event::StreamStart, Mark { line: 1, column: 1 }), then DocumentStart, ...
//! ```

use std::ffi::CStr;
use std::mem::MaybeUninit;

use libyaml_rs as sys;

/// A parse event, with the text it holds copied out of libyaml.
#[derive(Debug, PartialEq)]
pub(super) enum Event {
    StreamStart,
    StreamEnd,
    DocumentStart,
    DocumentEnd,
    Alias(String),
    Scalar(Node, String, Style),
    SequenceStart(Node),
    SequenceEnd,
    MappingStart(Node),
    MappingEnd,
}

/// The properties of a node: its anchor and its tag (`tag:yaml.org,2002:str` for `!!str`).
#[derive(Debug, Default, PartialEq)]
pub(super) struct Node {
    pub anchor: Option<String>,
    pub tag: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Style {
    Plain,
    /// Quoted, literal or folded: always a string.
    Other,
}

/// Where an event starts, 1-based.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Mark {
    pub line: usize,
    pub column: usize,
}

pub(super) struct Parser<'a> {
    /// Boxed because libyaml points into it once it has its input.
    parser: Box<MaybeUninit<sys::yaml_parser_t>>,
    /// libyaml reads the text in place while the parser lives.
    text: &'a str,
    /// Whether libyaml initialized the parser (it fails only when it cannot allocate).
    ready: bool,
    done: bool,
}

impl<'a> Parser<'a> {
    pub(super) fn new(text: &'a str) -> Parser<'a> {
        let mut parser = Box::new(MaybeUninit::<sys::yaml_parser_t>::uninit());
        // SAFETY: initialize fills the parser in place; the input is set only on a parser it
        // initialized; the text outlives the parser (`'a`), and the boxed parser never moves.
        let ready = unsafe {
            let ready = sys::yaml_parser_initialize(parser.as_mut_ptr()).ok;
            if ready {
                sys::yaml_parser_set_input_string(
                    parser.as_mut_ptr(),
                    text.as_ptr(),
                    text.len() as u64,
                );
            }
            ready
        };
        Parser {
            parser,
            text,
            ready,
            done: false,
        }
    }

    /// The next event, or why the text is not YAML ("did not find expected ',' or ']' at line
    /// 3 column 1, while parsing a flow sequence that starts at line 1 column 5").
    pub(super) fn next(&mut self) -> Result<(Event, Mark), String> {
        if !self.ready {
            return Err("the YAML parser could not allocate its buffers".into());
        }
        if self.done {
            return Ok((Event::StreamEnd, Mark { line: 0, column: 0 }));
        }
        let mut event = MaybeUninit::<sys::yaml_event_t>::uninit();
        // SAFETY: the parser is initialized (`ready`); a successful parse initializes `event`,
        // which is read while libyaml still owns its strings and then deleted once.
        unsafe {
            let parser = self.parser.as_mut_ptr();
            if sys::yaml_parser_parse(parser, event.as_mut_ptr()).fail {
                self.done = true;
                return Err(error(&*parser, self.text));
            }
            let event = event.as_mut_ptr();
            let owned = copy(&*event);
            sys::yaml_event_delete(event);
            if owned.0 == Event::StreamEnd {
                self.done = true;
            }
            Ok(owned)
        }
    }
}

impl Drop for Parser<'_> {
    fn drop(&mut self) {
        if self.ready {
            // SAFETY: initialized in `new`, deleted once.
            unsafe { sys::yaml_parser_delete(self.parser.as_mut_ptr()) }
        }
    }
}

/// SAFETY: `event` is an initialized event whose pointers libyaml still owns.
unsafe fn copy(event: &sys::yaml_event_t) -> (Event, Mark) {
    let mark = Mark {
        line: event.start_mark.line as usize + 1,
        column: event.start_mark.column as usize + 1,
    };
    // SAFETY (all the unions read below): `type_` says which member libyaml filled.
    let owned = unsafe {
        match event.type_ {
            sys::YAML_STREAM_START_EVENT => Event::StreamStart,
            sys::YAML_DOCUMENT_START_EVENT => Event::DocumentStart,
            sys::YAML_DOCUMENT_END_EVENT => Event::DocumentEnd,
            sys::YAML_ALIAS_EVENT => {
                Event::Alias(text(event.data.alias.anchor).unwrap_or_default())
            }
            sys::YAML_SCALAR_EVENT => {
                let scalar = &event.data.scalar;
                let bytes = match scalar.length {
                    0 => &[][..],
                    length => std::slice::from_raw_parts(scalar.value, length as usize),
                };
                let style = match scalar.style {
                    sys::YAML_PLAIN_SCALAR_STYLE => Style::Plain,
                    _ => Style::Other,
                };
                Event::Scalar(
                    node(scalar.anchor, scalar.tag),
                    String::from_utf8_lossy(bytes).into_owned(),
                    style,
                )
            }
            sys::YAML_SEQUENCE_START_EVENT => {
                let start = &event.data.sequence_start;
                Event::SequenceStart(node(start.anchor, start.tag))
            }
            sys::YAML_SEQUENCE_END_EVENT => Event::SequenceEnd,
            sys::YAML_MAPPING_START_EVENT => {
                let start = &event.data.mapping_start;
                Event::MappingStart(node(start.anchor, start.tag))
            }
            sys::YAML_MAPPING_END_EVENT => Event::MappingEnd,
            _ => Event::StreamEnd,
        }
    };
    (owned, mark)
}

/// SAFETY: both are null or NUL-terminated strings libyaml owns.
unsafe fn node(anchor: *const u8, tag: *const u8) -> Node {
    // SAFETY: as the caller promises.
    unsafe {
        Node {
            anchor: text(anchor),
            tag: text(tag),
        }
    }
}

/// SAFETY: `s` is null or a NUL-terminated string.
unsafe fn text(s: *const u8) -> Option<String> {
    // SAFETY: as the caller promises.
    (!s.is_null()).then(|| {
        unsafe { CStr::from_ptr(s.cast()) }
            .to_string_lossy()
            .into_owned()
    })
}

/// Why parsing stopped, from the parser's error fields.
///
/// SAFETY: `parser` is an initialized parser whose last parse failed.
unsafe fn error(parser: &sys::yaml_parser_t, text: &str) -> String {
    // SAFETY: libyaml sets `problem` (and `context`, or null) to static strings on failure.
    let (problem, context) = unsafe {
        (
            self::text(parser.problem.cast()),
            self::text(parser.context.cast()),
        )
    };
    let problem = problem.unwrap_or_else(|| "not valid YAML".into());
    let at = |mark: &sys::yaml_mark_t| format!("line {} column {}", mark.line + 1, mark.column + 1);
    match (parser.error, context) {
        // The reader knows only the byte it stopped at.
        (sys::YAML_READER_ERROR, _) => {
            let before = &text.as_bytes()[..(parser.problem_offset as usize).min(text.len())];
            let line_start = before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |at| at + 1);
            let column = String::from_utf8_lossy(&before[line_start..])
                .chars()
                .count()
                + 1;
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            format!("{problem} at line {line} column {column}")
        }
        (_, Some(context)) => format!(
            "{problem} at {}, {context} that starts at {}",
            at(&parser.problem_mark),
            at(&parser.context_mark)
        ),
        (_, None) => format!("{problem} at {}", at(&parser.problem_mark)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(text: &str) -> Result<Vec<Event>, String> {
        let mut parser = Parser::new(text);
        let mut events = Vec::new();
        loop {
            let (event, _) = parser.next()?;
            if event == Event::StreamEnd {
                return Ok(events);
            }
            events.push(event);
        }
    }

    #[test]
    fn events_with_their_properties() {
        let plain = |s: &str| Event::Scalar(Node::default(), s.into(), Style::Plain);
        assert_eq!(
            events("a: &x !!str [1, 'q', *x]").unwrap(),
            [
                Event::StreamStart,
                Event::DocumentStart,
                Event::MappingStart(Node::default()),
                plain("a"),
                Event::SequenceStart(Node {
                    anchor: Some("x".into()),
                    tag: Some("tag:yaml.org,2002:str".into()),
                }),
                plain("1"),
                Event::Scalar(Node::default(), "q".into(), Style::Other),
                Event::Alias("x".into()),
                Event::SequenceEnd,
                Event::MappingEnd,
                Event::DocumentEnd,
            ]
        );
    }

    #[test]
    fn errors_name_the_place() {
        assert_eq!(
            events("a: [1,\nb").unwrap_err(),
            "did not find expected ',' or ']' at line 3 column 1, while parsing a flow sequence \
             that starts at line 1 column 4"
        );
        assert_eq!(
            events("a: 1\0").unwrap_err(),
            "control characters are not allowed at line 1 column 5"
        );
        assert_eq!(
            events("a: 1\nb: x\0").unwrap_err(),
            "control characters are not allowed at line 2 column 5"
        );
        let mut parser = Parser::new("[");
        while parser.next().is_ok() {}
        // After an error the parser reports the end, and libyaml is not asked again.
        assert_eq!(parser.next().unwrap().0, Event::StreamEnd);
    }
}
