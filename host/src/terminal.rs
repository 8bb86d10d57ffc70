//! The terminal of this luabox process, as the process of a `terminal.host` sees it through the
//! `io` module (`host/src/modules/io.rs`): its command-line arguments, stdout and stderr, stdin,
//! and raw mode.
//!
//! Stdin is read by one thread of its own, started on the first read, which serves one request
//! at a time: a blocking read must not hold a tokio worker, and a read that nobody waits for any
//! more (its process was stopped) must not hold up the exit of `luabox`. What that thread read
//! for a reader that has gone is kept for the next one, so no typed input is lost.

use std::io::{IsTerminal, Read, Write};
use std::sync::{Mutex, OnceLock, mpsc};

use tokio::sync::oneshot;

/// What a read asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadKind {
    /// One line, without its `\n` or `\r\n`; a line longer than the limit comes in pieces.
    Line,
    /// Whatever stdin has, once it has something.
    Bytes,
}

/// A read's outcome: the bytes, `None` at the end of the input, or the error's text.
pub type ReadResult = Result<Option<Vec<u8>>, String>;

struct ReadRequest {
    kind: ReadKind,
    max: usize,
    reply: oneshot::Sender<ReadResult>,
}

/// Where written text goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

#[derive(Default)]
pub struct Terminal {
    /// The arguments after the entry id of `luabox run --exec`.
    args: OnceLock<Vec<String>>,
    reader: OnceLock<mpsc::Sender<ReadRequest>>,
    raw: Mutex<RawMode>,
}

/// How many `io.raw(true)` are not yet matched, and the settings to restore.
#[derive(Default)]
struct RawMode {
    depth: u32,
    saved: Option<rustix::termios::Termios>,
}

impl Terminal {
    /// Set the arguments `io.args()` returns (once; later calls are ignored).
    pub fn set_args(&self, args: Vec<String>) {
        let _ = self.args.set(args);
    }

    pub fn args(&self) -> &[String] {
        self.args.get().map_or(&[], Vec::as_slice)
    }

    /// Write `data` to `stream` and flush it, so a prompt shows before the next read.
    pub fn write(&self, stream: Stream, data: &[u8]) -> std::io::Result<()> {
        match stream {
            Stream::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(data)?;
                out.flush()
            }
            Stream::Stderr => std::io::stderr().lock().write_all(data),
        }
    }

    /// Read from stdin: at most `max` bytes (at least 1).
    pub async fn read(&self, kind: ReadKind, max: usize) -> ReadResult {
        let (reply, answer) = oneshot::channel();
        let request = ReadRequest {
            kind,
            max: max.max(1),
            reply,
        };
        self.reader
            .get_or_init(start_reader)
            .send(request)
            .map_err(|_| "the stdin reader stopped".to_owned())?;
        answer
            .await
            .unwrap_or_else(|_| Err("the stdin reader stopped".to_owned()))
    }

    /// Enter raw mode (`enable`) or leave it once: counted, so each enter needs its leave; the
    /// last leave restores the settings the first enter found.
    pub fn raw(&self, enable: bool) -> Result<(), String> {
        let mut raw = self.raw.lock().map_err(|_| "raw mode state failed")?;
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            return Err("stdin is not a terminal".to_owned());
        }
        if enable {
            if raw.depth == 0 {
                let saved = rustix::termios::tcgetattr(&stdin).map_err(|e| e.to_string())?;
                let mut settings = saved.clone();
                settings.make_raw();
                rustix::termios::tcsetattr(
                    &stdin,
                    rustix::termios::OptionalActions::Now,
                    &settings,
                )
                .map_err(|e| e.to_string())?;
                raw.saved = Some(saved);
            }
            raw.depth += 1;
        } else if raw.depth > 0 {
            raw.depth -= 1;
            if raw.depth == 0 {
                restore(&mut raw);
            }
        }
        Ok(())
    }

    /// Leave raw mode whatever the count: the terminal's process ended.
    pub fn reset(&self) {
        if let Ok(mut raw) = self.raw.lock() {
            raw.depth = 0;
            restore(&mut raw);
        }
    }
}

fn restore(raw: &mut RawMode) {
    if let Some(saved) = raw.saved.take() {
        let stdin = std::io::stdin();
        if let Err(error) =
            rustix::termios::tcsetattr(&stdin, rustix::termios::OptionalActions::Now, &saved)
        {
            tracing::warn!("cannot restore the terminal's settings: {error}");
        }
    }
}

/// Start the thread that reads stdin (see the module doc).
fn start_reader() -> mpsc::Sender<ReadRequest> {
    let (sender, requests) = mpsc::channel::<ReadRequest>();
    let spawned = std::thread::Builder::new()
        .name("luabox-stdin".into())
        .spawn(move || {
            let mut input = Input::default();
            while let Ok(request) = requests.recv() {
                let taken = input.next(request.kind, request.max);
                let answer = taken
                    .clone()
                    .map(|bytes| bytes.map(|b| answer(request.kind, b)));
                if request.reply.send(answer).is_err()
                    && let Ok(Some(bytes)) = taken
                {
                    input.unread(bytes);
                }
            }
        });
    if let Err(error) = spawned {
        tracing::error!("cannot start the stdin reader: {error}");
    }
    sender
}

/// What a reader gets of the bytes taken for it: a line without its line end.
fn answer(kind: ReadKind, mut bytes: Vec<u8>) -> Vec<u8> {
    if kind == ReadKind::Line && bytes.last() == Some(&b'\n') {
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
    }
    bytes
}

/// Stdin with what was read ahead of its reader.
#[derive(Default)]
struct Input {
    buffered: Vec<u8>,
    ended: bool,
}

impl Input {
    /// Take the next line (with its line end) or bytes; `None` at the end of the input.
    fn next(&mut self, kind: ReadKind, max: usize) -> ReadResult {
        loop {
            let line_end = match kind {
                ReadKind::Line => self.buffered.iter().position(|&b| b == b'\n'),
                ReadKind::Bytes => None,
            };
            // A line's end may lie one byte past `max`: the limit counts what the reader gets.
            let take = match line_end {
                Some(end) if end <= max => Some(end + 1),
                _ if self.buffered.len() >= max => Some(max),
                _ if kind == ReadKind::Bytes && !self.buffered.is_empty() => {
                    Some(self.buffered.len())
                }
                _ if self.ended && !self.buffered.is_empty() => Some(self.buffered.len()),
                _ => None,
            };
            if let Some(take) = take {
                return Ok(Some(self.buffered.drain(..take).collect()));
            }
            if self.ended {
                return Ok(None);
            }
            let mut chunk = [0u8; 8192];
            match std::io::stdin().lock().read(&mut chunk) {
                Ok(0) => self.ended = true,
                Ok(n) => self.buffered.extend_from_slice(&chunk[..n]),
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error.to_string()),
            }
        }
    }

    /// Put back what was taken for a reader that has gone.
    fn unread(&mut self, mut bytes: Vec<u8>) {
        bytes.append(&mut self.buffered);
        self.buffered = bytes;
    }
}
