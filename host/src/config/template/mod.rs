//! The kinds `template.set` and `template.jet` (Wippy: wippyai/docs en/system/template.md) →
//! [`TemplateSet`] and [`TemplateJet`], and the Jet syntax their templates are parsed with at
//! load, so `luabox check` names a template's syntax errors by file and line. Rendering is the
//! `templates` module's (`host/src/modules/templates/`).
//!
//! ```yaml
//! - name: views
//!   kind: template.set
//!   engine:                          # all optional
//!     extensions: [.jet, .html.jet]  # stripped from names templates refer to each other by
//!     globals: {site: Example}       # variables every template of the set sees
//!     development_mode: false        # accepted; templates are parsed once at load either way
//! - name: page
//!   kind: template.jet
//!   set: views                       # required: a template.set
//!   source: file://templates/page.jet   # or the template text inline
//!   meta: {name: pages/home}         # optional: its name in the set (default: the entry's name)
//!   data_func: app:page_data         # kept as data, for code that reads the registry
//! ```
//!
//! The syntax (one job per file): `lexer` splits text into text and action tokens, `expr`
//! parses expressions, `parser` statements, `ast` is the tree. Custom `engine.delimiters` are
//! refused: a template is parsed where its entry is read, before its set may have been.

pub mod ast;
mod expr;
mod lexer;
mod parser;

use std::sync::Arc;

use serde_json::{Map, Value};

use super::build::{self, Reference};
use super::entry::Spec;
use super::fields::{self, problem};
use super::id::EntryId;
use super::kinds::{Build, entry_kind};
use super::source::{Site, shown_chunk_name};
use super::yaml::{Key, Node, Problem};
pub use ast::Template;
pub use expr::FUNCTIONS;

/// A syntax error at a line of a template's text.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub line: usize,
    pub message: String,
}

/// Parse template `text`; `file` and `first_line` place it for messages.
pub fn parse(text: &str, file: &str, first_line: usize) -> Result<Template, String> {
    let parsed = lexer::segments(text)
        .and_then(|segments| parser::parse(segments, file.to_owned(), first_line));
    parsed.map_err(|e| {
        format!(
            "{}:{}: {}",
            file,
            first_line + e.line.saturating_sub(1),
            e.message
        )
    })
}

/// A `template.set` or `template.jet` entry.
#[derive(Debug, Clone)]
pub enum TemplateSpec {
    Set(Arc<TemplateSet>),
    Jet(Arc<TemplateJet>),
}

#[derive(Debug, Default)]
pub struct TemplateSet {
    /// Endings stripped from the names templates use for each other (`"x.jet"` finds `x`).
    pub extensions: Vec<String>,
    /// Variables every template of the set sees.
    pub globals: Map<String, Value>,
}

pub const DEFAULT_EXTENSIONS: [&str; 3] = [".jet", ".html.jet", ".jet.html"];

#[derive(Debug)]
pub struct TemplateJet {
    pub set: EntryId,
    /// Its name in the set: `meta.name`, else the entry's name.
    pub name: String,
    pub template: Arc<Template>,
}

const ENGINE_FIELDS: [&str; 4] = ["development_mode", "delimiters", "extensions", "globals"];
const DELIMITERS: [(&str, &str); 4] = [
    ("left", "{{"),
    ("right", "}}"),
    ("comment_left", "{*"),
    ("comment_right", "*}"),
];

fn set(fields: &[(Key, Node)], problems: &mut Vec<Problem>) -> Option<TemplateSet> {
    let before = problems.len();
    let mut set = TemplateSet {
        extensions: DEFAULT_EXTENSIONS.iter().map(|e| e.to_string()).collect(),
        globals: Map::new(),
    };
    if let Some((_, engine)) = fields::find(fields, "engine") {
        fields::each_field(
            "engine",
            engine,
            problems,
            |key, value, field, problems| match key.text.as_str() {
                "development_mode" => fields::boolean(field, value).map(drop),
                "extensions" => {
                    let list = fields::string_list(field, value)?;
                    set.extensions = list.into_iter().map(|(e, _)| e).collect();
                    Ok(())
                }
                "globals" => {
                    set.globals = fields::mapping(field, value).map(super::yaml::map_to_json)?;
                    Ok(())
                }
                "delimiters" => {
                    fields::each_field(field, value, problems, |key, value, field, _| {
                        let Some((_, default)) = DELIMITERS.iter().find(|(n, _)| *n == key.text)
                        else {
                            let known: Vec<&str> = DELIMITERS.iter().map(|(n, _)| *n).collect();
                            return Err(fields::unknown("engine.delimiters", key, &known));
                        };
                        match fields::string(field, value)? {
                            text if text == *default => Ok(()),
                            text => Err(problem(
                                value.line,
                                format!(
                                    "field '{field}' is '{text}': luabox supports only the \
                                     default delimiters {{{{ }}}} and {{* *}}"
                                ),
                            )),
                        }
                    });
                    Ok(())
                }
                _ => Err(fields::unknown("engine", key, &ENGINE_FIELDS)),
            },
        );
    }
    (problems.len() == before).then_some(set)
}

fn jet(cx: &mut Build<'_, '_, '_>) -> Option<TemplateJet> {
    let before = cx.problems.len();
    let set = fields::find(cx.fields, "set").and_then(|(key, node)| {
        let mut refs: Vec<Reference> = Vec::new();
        let found = build::reference(
            "set",
            node,
            key.line,
            &["template.set"],
            &cx.id.ns,
            &mut refs,
            cx.problems,
        );
        cx.refs.extend(refs);
        found
    });
    if let Some((_, node)) = fields::find(cx.fields, "data_func")
        && let Err(p) = fields::non_empty_string("data_func", node)
    {
        cx.problems.push(p);
    }
    let name = match cx.meta.and_then(|meta| meta.get("name")) {
        None => Some(cx.id.name.clone()),
        Some(node) => fields::non_empty_string("meta.name", node)
            .map_err(|p| cx.problems.push(p))
            .ok(),
    };
    let template = fields::find(cx.fields, "source").and_then(|(key, node)| {
        let text = fields::string("source", node)
            .map_err(|p| cx.problems.push(p))
            .ok()?;
        let site = Site {
            id: cx.id,
            yaml: cx.file.yaml,
            yaml_dir: cx.file.yaml_dir,
            line: key.line,
            value_line: node.line,
        };
        let source = cx
            .app
            .sources
            .resolve(&text, &site)
            .map_err(|m| {
                cx.problems.push(problem(
                    node.line,
                    m.replace("source file", "template file"),
                ))
            })
            .ok()?;
        let file = if text.starts_with("file://") {
            shown_chunk_name(&source.chunk_name).to_owned()
        } else {
            cx.file.yaml.display().to_string()
        };
        parse(&source.text, &file, source.first_line)
            .map_err(|m| {
                cx.problems
                    .push(problem(node.line, format!("template syntax error at {m}")))
            })
            .ok()
    });
    match (set, name, template) {
        (Some(set), Some(name), Some(template)) if cx.problems.len() == before => {
            Some(TemplateJet {
                set,
                name,
                template: Arc::new(template),
            })
        }
        _ => None,
    }
}

entry_kind! {
    /// `template.set`: a namespace of templates that refer to each other by name.
    SetKind: "template.set",
    required: [],
    optional: ["engine"],
    build: |cx| set(cx.fields, cx.problems).map(|s| Spec::Template(TemplateSpec::Set(Arc::new(s)))),
}

entry_kind! {
    /// `template.jet`: one Jet template of a set.
    JetKind: "template.jet",
    required: ["set", "source"],
    optional: ["data_func"],
    build: |cx| jet(cx).map(|j| Spec::Template(TemplateSpec::Jet(Arc::new(j)))),
}

#[cfg(test)]
mod tests;
