//! YAML text → a tree of [`Node`]s that remember their line, and that tree → JSON.
//!
//! The tree is built from `yaml-rust2`'s event parser rather than a serde model so that every
//! value, and every mapping key, carries the 1-based line it was written on: a typo must be
//! reported where it is. Anchors, aliases and `<<` merge keys work (YAML users share `modules:`
//! lists that way); a clone made by an alias keeps the lines of the anchored text.
//!
//! Problems that do not stop parsing (a duplicate key, an unsupported tag, nesting too deep) are
//! collected in [`Document::problems`] instead of failing at once: the caller only cares about
//! them when the file turns out to be a luabox file (it has a top-level `namespace:`).
//!
//! ```text
//! let doc = yaml::parse("namespace: app\nname: x\n")?;
//! doc.root.unwrap().get("name").unwrap().line  // == 2
//! ```

use std::collections::HashMap;

use serde_json::Value as Json;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Deeper nesting than any configuration needs; the limit keeps the recursive walks over the
/// tree (conversion, interpolation, drop) far from the stack's end.
pub const MAX_DEPTH: usize = 64;
/// Caps what aliases can expand to ("billion laughs").
pub const MAX_NODES: usize = 1_000_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub line: usize,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Scalar(Scalar),
    Seq(Vec<Node>),
    /// In source order; keys are unique (a duplicate is a [`Document::problems`] entry).
    Map(Vec<(Key, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    pub text: String,
    /// Written unquoted, so `true`, `12` and `~` mean a boolean, a number and null. Quoted and
    /// block scalars, and interpolated values, are always strings.
    pub plain: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub text: String,
    pub line: usize,
}

/// Something wrong at a line of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Document {
    /// `None` for a file holding no document (empty, or only comments).
    pub root: Option<Node>,
    pub problems: Vec<Problem>,
}

/// Parses one YAML document. `Err` means the text is not YAML at all.
pub fn parse(text: &str) -> Result<Document, Problem> {
    // yaml-rust2's scanner stops at a NUL as if the file ended there: whatever follows would
    // vanish without a word.
    if let Some(at) = text.find('\0') {
        let before = &text[..at];
        return Err(Problem {
            line: before.matches('\n').count() + 1,
            message: format!(
                "the file holds a NUL byte (column {}), which YAML text cannot",
                before[before.rfind('\n').map_or(0, |nl| nl + 1)..]
                    .chars()
                    .count()
                    + 1
            ),
        });
    }
    let mut loader = Loader::default();
    let mut parser = Parser::new_from_str(text);
    // The events are pulled one by one rather than through `Parser::load`, which recurses once
    // per level of nesting: thousands of nested keys overflowed the stack before the loader's
    // depth limit could say a word.
    loop {
        let (event, mark) = parser.next_token().map_err(|e| Problem {
            line: e.marker().line().max(1),
            message: format!(
                "invalid YAML: {} (column {})",
                e.info(),
                e.marker().col() + 1
            ),
        })?;
        let end = event == Event::StreamEnd;
        loader.on_event(event, mark);
        if end {
            break;
        }
    }
    Ok(Document {
        root: loader.root,
        problems: loader.problems,
    })
}

impl Node {
    pub fn scalar(line: usize, text: impl Into<String>, plain: bool) -> Node {
        Node {
            line,
            value: Value::Scalar(Scalar {
                text: text.into(),
                plain,
            }),
        }
    }

    fn null(line: usize) -> Node {
        Node::scalar(line, "", true)
    }

    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.value {
            Value::Scalar(scalar) => Some(scalar),
            _ => None,
        }
    }

    /// The value of `key` when this is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.text == key)
            .map(|(_, v)| v)
    }

    pub fn is_null(&self) -> bool {
        self.as_scalar().is_some_and(Scalar::is_null)
    }

    /// "a mapping", "a list", "a string", ... for messages such as "must be a list, not a string".
    pub fn type_name(&self) -> &'static str {
        match &self.value {
            Value::Map(_) => "a mapping",
            Value::Seq(_) => "a list",
            Value::Scalar(scalar) => match scalar.to_json() {
                Json::Null => "empty",
                Json::Bool(_) => "a boolean",
                Json::Number(_) => "a number",
                _ => "a string",
            },
        }
    }

    pub fn to_json(&self) -> Json {
        match &self.value {
            Value::Scalar(scalar) => scalar.to_json(),
            Value::Seq(items) => Json::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => Json::Object(map_to_json(entries)),
        }
    }

    fn size(&self) -> usize {
        match &self.value {
            Value::Scalar(_) => 1,
            Value::Seq(items) => 1 + items.iter().map(Node::size).sum::<usize>(),
            Value::Map(entries) => 1 + entries.iter().map(|(_, v)| 1 + v.size()).sum::<usize>(),
        }
    }
}

pub fn map_to_json(entries: &[(Key, Node)]) -> serde_json::Map<String, Json> {
    entries
        .iter()
        .map(|(k, v)| (k.text.clone(), v.to_json()))
        .collect()
}

impl Scalar {
    pub fn is_null(&self) -> bool {
        self.plain && matches!(self.text.as_str(), "" | "~" | "null" | "Null" | "NULL")
    }

    /// The YAML 1.2 core schema: plain scalars may be null, booleans, integers (decimal, `0x`,
    /// `0o`) or floats; anything JSON cannot hold (`.inf`, 2^70) stays a string.
    pub fn to_json(&self) -> Json {
        if !self.plain {
            return Json::String(self.text.clone());
        }
        let text = self.text.as_str();
        if self.is_null() {
            return Json::Null;
        }
        match text {
            "true" | "True" | "TRUE" => return Json::Bool(true),
            "false" | "False" | "FALSE" => return Json::Bool(false),
            _ => {}
        }
        if let Some(number) = parse_int(text) {
            return number;
        }
        if looks_like_float(text)
            && let Some(number) = text
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
        {
            return Json::Number(number);
        }
        Json::String(self.text.clone())
    }
}

fn parse_int(text: &str) -> Option<Json> {
    let radix_digits = |prefix: &str, radix: u32| {
        let digits = text.strip_prefix(prefix)?;
        let ok = !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix));
        ok.then(|| i64::from_str_radix(digits, radix).ok().map(Json::from))
            .flatten()
    };
    if let Some(value) = radix_digits("0x", 16).or_else(|| radix_digits("0o", 8)) {
        return Some(value);
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let text = text.strip_prefix('+').unwrap_or(text);
    let number = text
        .parse::<i64>()
        .map(Json::from)
        .or_else(|_| text.parse::<u64>().map(Json::from));
    Some(number.unwrap_or_else(|_| Json::String(text.to_string())))
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, checked by hand because Rust's float
/// parser also takes `inf` and `NaN`, which YAML spells differently.
fn looks_like_float(text: &str) -> bool {
    let text = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    let mantissa_ok =
        (!whole.is_empty() || !fraction.is_empty()) && digits(whole) && digits(fraction);
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

enum Frame {
    Seq {
        line: usize,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        line: usize,
        anchor: usize,
        entries: Vec<(Key, Node)>,
        /// Key → its line, so duplicate checks stay cheap in large mappings.
        lines: HashMap<String, usize>,
        /// The key waiting for its value, and whether it was written plain (`<<` merges only then).
        key: Option<(Key, bool)>,
        /// The key was not a scalar: drop the value that follows.
        skip_value: bool,
        merges: Vec<Node>,
    },
}

#[derive(Default)]
struct Loader {
    stack: Vec<Frame>,
    /// Anchored nodes with their size, so an alias is priced without walking the node again.
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
    /// Containers open beyond [`MAX_DEPTH`]; their content is dropped.
    skipping: usize,
    skip_line: usize,
    documents: usize,
    root: Option<Node>,
    problems: Vec<Problem>,
}

impl MarkedEventReceiver for Loader {
    fn on_event(&mut self, event: Event, mark: Marker) {
        let line = mark.line().max(1);
        if self.skipping > 0 {
            match event {
                Event::SequenceStart(..) | Event::MappingStart(..) => self.skipping += 1,
                Event::SequenceEnd | Event::MappingEnd => {
                    self.skipping -= 1;
                    if self.skipping == 0 {
                        self.complete(Node::null(self.skip_line));
                    }
                }
                _ => {}
            }
            return;
        }
        match event {
            Event::DocumentStart => self.documents += 1,
            Event::Scalar(text, style, anchor, tag) => {
                let mut plain = style == TScalarStyle::Plain;
                if let Some(tag) = tag {
                    match core_tag(&tag) {
                        Some("str") => plain = false,
                        Some(_) => {}
                        None => self.unsupported_tag(line, &tag),
                    }
                }
                self.nodes += 1;
                let node = Node::scalar(line, text, plain);
                self.anchor(anchor, &node);
                self.complete(node);
            }
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag)
                if self.stack.len() >= MAX_DEPTH =>
            {
                let _ = (anchor, tag);
                self.problem(line, format!("nesting deeper than {MAX_DEPTH} levels"));
                self.skipping = 1;
                self.skip_line = line;
            }
            Event::SequenceStart(anchor, tag) => {
                self.check_tag(line, tag.as_ref());
                self.stack.push(Frame::Seq {
                    line,
                    anchor,
                    items: Vec::new(),
                });
            }
            Event::MappingStart(anchor, tag) => {
                self.check_tag(line, tag.as_ref());
                self.stack.push(Frame::Map {
                    line,
                    anchor,
                    entries: Vec::new(),
                    lines: HashMap::new(),
                    key: None,
                    skip_value: false,
                    merges: Vec::new(),
                });
            }
            Event::SequenceEnd | Event::MappingEnd => self.end_container(),
            Event::Alias(anchor) => self.alias(anchor, line),
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
    }
}

/// The suffix of a `!!x` (core schema) tag.
fn core_tag(tag: &Tag) -> Option<&str> {
    (tag.handle == "tag:yaml.org,2002:" || tag.handle == "!!").then_some(tag.suffix.as_str())
}

impl Loader {
    fn problem(&mut self, line: usize, message: String) {
        self.problems.push(Problem { line, message });
    }

    fn unsupported_tag(&mut self, line: usize, tag: &Tag) {
        self.problem(
            line,
            format!("unsupported YAML tag '{}{}'", tag.handle, tag.suffix),
        );
    }

    fn check_tag(&mut self, line: usize, tag: Option<&Tag>) {
        if let Some(tag) = tag
            && core_tag(tag).is_none()
        {
            self.unsupported_tag(line, tag);
        }
    }

    fn anchor(&mut self, anchor: usize, node: &Node) {
        if anchor > 0 {
            self.anchors.insert(anchor, (node.clone(), node.size()));
        }
    }

    fn alias(&mut self, anchor: usize, line: usize) {
        let Some(size) = self.anchors.get(&anchor).map(|(_, size)| *size) else {
            // The parser rejects unknown anchors, so this is an alias inside its own anchor.
            self.problem(line, "an alias refers to the node that contains it".into());
            self.complete(Node::null(line));
            return;
        };
        if self.nodes.saturating_add(size) > MAX_NODES {
            self.problem(
                line,
                format!("aliases expand to more than {MAX_NODES} values"),
            );
            self.complete(Node::null(line));
            return;
        }
        self.nodes += size;
        let Some((target, _)) = self.anchors.get(&anchor) else {
            return;
        };
        let mut node = target.clone();
        node.line = line;
        self.complete(node);
    }

    fn end_container(&mut self) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        self.nodes += 1;
        let (node, anchor) = match frame {
            Frame::Seq {
                line,
                anchor,
                items,
            } => (
                Node {
                    line,
                    value: Value::Seq(items),
                },
                anchor,
            ),
            Frame::Map {
                line,
                anchor,
                mut entries,
                mut lines,
                merges,
                ..
            } => {
                // Explicit keys win over merged ones; earlier merges win over later ones.
                for merged in merges {
                    if let Value::Map(extra) = merged.value {
                        for (key, value) in extra {
                            if !lines.contains_key(&key.text) {
                                lines.insert(key.text.clone(), key.line);
                                entries.push((key, value));
                            }
                        }
                    }
                }
                (
                    Node {
                        line,
                        value: Value::Map(entries),
                    },
                    anchor,
                )
            }
        };
        self.anchor(anchor, &node);
        self.complete(node);
    }

    /// Places a finished node into its parent (or as the document root).
    fn complete(&mut self, node: Node) {
        let Some(parent) = self.stack.last_mut() else {
            self.set_root(node);
            return;
        };
        let mut problem = None;
        match parent {
            Frame::Seq { items, .. } => items.push(node),
            Frame::Map {
                entries,
                lines,
                key,
                skip_value,
                merges,
                ..
            } => match key.take() {
                None if *skip_value => *skip_value = false,
                None => match node.value {
                    Value::Scalar(scalar) => {
                        *key = Some((
                            Key {
                                text: scalar.text,
                                line: node.line,
                            },
                            scalar.plain,
                        ));
                    }
                    _ => {
                        *skip_value = true;
                        problem = Some((node.line, "mapping keys must be scalars".to_string()));
                    }
                },
                Some((key, true)) if key.text == "<<" => match node.value {
                    Value::Map(_) => merges.push(node),
                    Value::Seq(items) if items.iter().all(|n| n.as_map().is_some()) => {
                        merges.extend(items)
                    }
                    _ => {
                        problem = Some((
                            key.line,
                            "the merge key '<<' takes a mapping or a list of mappings".into(),
                        ))
                    }
                },
                Some((key, _)) => {
                    if let Some(first) = lines.get(&key.text) {
                        problem = Some((
                            key.line,
                            format!("duplicate key '{}' (first at line {first})", key.text),
                        ));
                    } else {
                        lines.insert(key.text.clone(), key.line);
                        entries.push((key, node));
                    }
                }
            },
        }
        if let Some((line, message)) = problem {
            self.problem(line, message);
        }
    }

    fn set_root(&mut self, node: Node) {
        if self.root.is_none() && self.documents <= 1 {
            self.root = Some(node);
        } else if !node.is_null() {
            self.problem(
                node.line,
                "a second YAML document ('---'): a luabox file holds one document".into(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn root(text: &str) -> Node {
        let doc = parse(text).unwrap();
        assert!(doc.problems.is_empty(), "{:?}", doc.problems);
        doc.root.unwrap()
    }

    fn problems(text: &str) -> Vec<(usize, String)> {
        parse(text)
            .unwrap()
            .problems
            .into_iter()
            .map(|p| (p.line, p.message))
            .collect()
    }

    #[test]
    fn nodes_remember_lines() {
        let node = root("a: 1\nlist:\n  - x\n  - y: 2\nblock: |\n  one\n  two\n");
        assert_eq!(node.get("a").unwrap().line, 1);
        let list = node.get("list").unwrap().as_seq().unwrap();
        assert_eq!(list[0].line, 3);
        assert_eq!(list[1].get("y").unwrap().line, 4);
        let keys: Vec<_> = node.as_map().unwrap().iter().map(|(k, _)| k.line).collect();
        assert_eq!(keys, [1, 2, 5]);
        // A block scalar's line is that of its first line of text.
        assert_eq!(node.get("block").unwrap().line, 6);
    }

    #[test]
    fn core_schema_to_json() {
        let node = root(
            "n: ~\ne:\nt: true\nf: False\ni: -12\nh: 0x1F\no: 0o17\nfl: 1.5e3\ns: hello\n\
             q: \"12\"\nsq: 'true'\nbig: 123456789012345678901234\ninf: .inf\nv: 1.2.3\n\
             tagged: !!str 5\nneg: -.5\n",
        );
        assert_eq!(
            node.to_json(),
            json!({"n": null, "e": null, "t": true, "f": false, "i": -12, "h": 31, "o": 15,
                   "fl": 1500.0, "s": "hello", "q": "12", "sq": "true",
                   "big": "123456789012345678901234", "inf": ".inf", "v": "1.2.3",
                   "tagged": "5", "neg": -0.5})
        );
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let node = root(
            "base: &base {modules: [json], x: 1}\ncopy: *base\nmerged:\n  <<: *base\n  x: 2\n",
        );
        assert_eq!(
            node.get("copy").unwrap().to_json(),
            json!({"modules": ["json"], "x": 1})
        );
        assert_eq!(node.get("copy").unwrap().line, 2);
        assert_eq!(
            node.get("merged").unwrap().to_json(),
            json!({"x": 2, "modules": ["json"]})
        );
    }

    #[test]
    fn syntax_errors_carry_the_line() {
        let err = parse("a: 1\nb: [1, 2\n").unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.message.starts_with("invalid YAML: "), "{}", err.message);
        let err = parse("a: 1\n  b: 2\n").unwrap_err();
        assert_eq!(err.line, 2);
    }

    #[test]
    fn soft_problems() {
        assert_eq!(
            problems("a: 1\nb: 2\na: 3\n"),
            [(3, "duplicate key 'a' (first at line 1)".to_string())]
        );
        assert_eq!(
            problems("a: !Ref x\n"),
            [(1, "unsupported YAML tag '!Ref'".to_string())]
        );
        assert_eq!(
            problems("? [a]\n: 1\nb: 2\n"),
            [(1, "mapping keys must be scalars".to_string())]
        );
        assert_eq!(
            problems("a: 1\n---\nb: 2\n"),
            [(
                3,
                "a second YAML document ('---'): a luabox file holds one document".to_string()
            )]
        );
        assert!(problems("a: 1\n---\n").is_empty());
        assert_eq!(
            problems("a:\n  <<: 5\n"),
            [(
                2,
                "the merge key '<<' takes a mapping or a list of mappings".to_string()
            )]
        );
    }

    #[test]
    fn hostile_inputs_end_in_problems() {
        let deep: String = (0..200)
            .map(|i| format!("{}- \n", " ".repeat(i * 2)))
            .collect();
        let doc = parse(&deep).unwrap();
        assert_eq!(
            doc.problems[0].message,
            format!("nesting deeper than {MAX_DEPTH} levels")
        );
        assert!(parse(&"[".repeat(100_000)).is_err());
        // Nested far past the limit: the parser must not recurse per level.
        let compact = format!("{}1\n", "- ".repeat(100_000));
        assert_eq!(
            parse(&compact).unwrap().problems[0].message,
            format!("nesting deeper than {MAX_DEPTH} levels")
        );
        let nul = parse("a: 1\nb: x\0y\nc: [").unwrap_err();
        assert_eq!(
            (nul.line, nul.message.as_str()),
            (
                2,
                "the file holds a NUL byte (column 5), which YAML text cannot"
            )
        );

        let mut laughs = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            laughs.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let doc = parse(&laughs).unwrap();
        assert!(
            doc.problems
                .iter()
                .any(|p| p.message.contains("aliases expand to more than")),
            "{:?}",
            doc.problems.first()
        );
    }

    #[test]
    fn empty_and_non_mapping_documents() {
        assert!(parse("").unwrap().root.is_none());
        assert!(parse("# only a comment\n").unwrap().root.is_none());
        assert!(root("- a\n").as_seq().is_some());
        assert!(root("just text\n").as_scalar().is_some());
    }
}
