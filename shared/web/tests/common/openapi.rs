//! Every `/v1` answer a test gets is held against the OpenAPI document:
//! its path and method must be documented, and a JSON body must validate
//! against the schema of its status (or `default`). Objects are checked
//! strictly here (no property the document does not name), so a field
//! added to a response without its schema fails the tests that see it.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, OnceLock};

use serde_json::{Value, json};

/// The document, made strict for checking.
fn doc() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc: Value = serde_json::from_str(web::api::openapi::json()).expect("document");
        let composed = composed_parts(&doc);
        if let Some(schemas) = doc
            .pointer_mut("/components/schemas")
            .and_then(Value::as_object_mut)
        {
            for (name, s) in schemas.iter_mut() {
                strict(s, composed.contains(name.as_str()));
            }
        }
        if let Some(paths) = doc.get_mut("paths") {
            strict_responses(paths);
        }
        doc
    })
}

/// Components some `allOf` is made of: they see only part of an object.
fn composed_parts(doc: &Value) -> HashSet<String> {
    fn walk(v: &Value, out: &mut HashSet<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::Array(parts)) = m.get("allOf") {
                    for p in parts {
                        if let Some(r) = p.get("$ref").and_then(Value::as_str) {
                            out.insert(r.trim_start_matches("#/components/schemas/").to_owned());
                        }
                    }
                }
                m.values().for_each(|x| walk(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = HashSet::new();
    walk(doc, &mut out);
    out
}

/// Refuses properties the schema does not name, on every object that is
/// a whole (not a part of an `allOf`).
fn strict(s: &mut Value, part: bool) {
    let Value::Object(m) = s else { return };
    let is_object = m.contains_key("properties") || m.contains_key("allOf");
    if is_object
        && !part
        && !m.contains_key("additionalProperties")
        && !m.contains_key("unevaluatedProperties")
    {
        m.insert("unevaluatedProperties".into(), json!(false));
    }
    if let Some(Value::Object(props)) = m.get_mut("properties") {
        props.values_mut().for_each(|p| strict(p, false));
    }
    if let Some(items) = m.get_mut("items") {
        strict(items, false);
    }
    if let Some(Value::Array(parts)) = m.get_mut("allOf") {
        parts.iter_mut().for_each(|p| strict(p, true));
    }
    for k in ["oneOf", "anyOf"] {
        if let Some(Value::Array(parts)) = m.get_mut(k) {
            parts.iter_mut().for_each(|p| strict(p, part));
        }
    }
}

fn strict_responses(paths: &mut Value) {
    let Some(paths) = paths.as_object_mut() else {
        return;
    };
    for item in paths.values_mut() {
        for op in item
            .as_object_mut()
            .into_iter()
            .flat_map(|m| m.values_mut())
        {
            let Some(resps) = op.get_mut("responses").and_then(Value::as_object_mut) else {
                continue;
            };
            for r in resps.values_mut() {
                if let Some(content) = r.get_mut("content").and_then(Value::as_object_mut) {
                    for c in content.values_mut() {
                        if let Some(s) = c.get_mut("schema") {
                            strict(s, false);
                        }
                    }
                }
            }
        }
    }
}

/// The documented path template `path` falls under, preferring literal
/// segments (`/v1/ivr/prompts` over `/v1/ivr/{id}`).
pub fn template(path: &str) -> Option<String> {
    let segs: Vec<&str> = path.split('/').collect();
    let paths = doc()["paths"].as_object()?;
    paths
        .keys()
        .filter(|t| {
            let ts: Vec<&str> = t.split('/').collect();
            ts.len() == segs.len()
                && ts
                    .iter()
                    .zip(&segs)
                    .all(|(t, s)| (t.starts_with('{') && !s.is_empty()) || t == s)
        })
        .min_by_key(|t| t.matches('{').count())
        .cloned()
}

fn escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

type Validator = std::sync::Arc<jsonschema::Validator>;

fn validator(pointer: &str) -> Validator {
    static CACHE: OnceLock<Mutex<HashMap<String, Validator>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(v) = cache.lock().expect("cache").get(pointer) {
        return v.clone();
    }
    let mut root = doc().clone();
    // A URI fragment: the template's braces percent-encoded.
    let fragment = pointer.replace('{', "%7B").replace('}', "%7D");
    root["$ref"] = json!(format!("#{fragment}"));
    let v =
        std::sync::Arc::new(jsonschema::draft202012::new(&root).unwrap_or_else(|e| {
            panic!("the document's schema at {pointer} does not compile: {e}")
        }));
    cache
        .lock()
        .expect("cache")
        .insert(pointer.to_owned(), v.clone());
    v
}

/// Checks one answer of the router to `method path` (path without query).
pub fn check(method: &str, path: &str, status: u16, content_type: &str, body: &str) {
    if !path.starts_with("/v1/") {
        return;
    }
    let Some(t) = template(path) else {
        // Unknown routes are the router's 404; anything else is undocumented.
        assert_eq!(
            status, 404,
            "{method} {path} answered {status} but is not in the OpenAPI document"
        );
        return;
    };
    let m = method.to_ascii_lowercase();
    let Some(op) = doc()["paths"][&t].get(&m) else {
        assert_eq!(
            status, 405,
            "{method} {t} answered {status} but is not in the OpenAPI document"
        );
        return;
    };
    let ctype = content_type.split(';').next().unwrap_or_default().trim();
    let code = status.to_string();
    let key = if op["responses"].get(&code).is_some() {
        code
    } else {
        assert!(
            status >= 400,
            "{method} {t} answered {status}, which the document does not list"
        );
        "default".to_owned()
    };
    let resp = &op["responses"][&key];
    let Some(content) = resp.get("content").and_then(Value::as_object) else {
        assert!(
            body.is_empty(),
            "{method} {t} {status}: the document says no body, the answer has one: {body}"
        );
        return;
    };
    if body.is_empty() && status == 204 {
        return;
    }
    assert!(
        content.contains_key(ctype),
        "{method} {t} {status}: answered {ctype}, the document offers {:?}",
        content.keys().collect::<Vec<_>>()
    );
    if !ctype.ends_with("json") {
        return;
    }
    let value: Value = serde_json::from_str(body)
        .unwrap_or_else(|e| panic!("{method} {t} {status}: not JSON ({e}): {body}"));
    let pointer = format!(
        "/paths/{}/{m}/responses/{key}/content/{}/schema",
        escape(&t),
        escape(ctype)
    );
    let v = validator(&pointer);
    let errors: Vec<String> = v
        .iter_errors(&value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {t} {status} does not match its schema:\n  {}\nbody: {body}",
        errors.join("\n  ")
    );
}
