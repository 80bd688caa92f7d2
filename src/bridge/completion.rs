//! `completion/complete`: values for resource-template variables and prompt arguments,
//! listed by the generated list tools through the guardrails (so a caller is offered only
//! what its scope lets it read), filtered by the typed prefix, capped, and cached briefly.

use super::{Asker, Bridge, Origin};
use crate::bridge::prompts::Source;
use rmcp::model::{CallToolResponse, CompleteRequestParams, CompleteResult, CompletionInfo, JsonObject, Reference};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long listed values are reused (per list tool, caller and arguments).
const FRESH: Duration = Duration::from_secs(10);
/// Cached lists at most; the oldest go first.
const MAX_ENTRIES: usize = 1024;

/// One value and the words that name it for a person.
type Item = (String, Option<String>);

/// A list of values, and when it was fetched.
type Listed = (Instant, Arc<Vec<Item>>);

#[derive(Default)]
pub struct Cache {
    lists: Mutex<HashMap<String, Listed>>,
}

impl Cache {
    fn get(&self, key: &str) -> Option<Arc<Vec<Item>>> {
        let lists = self.lists.lock().unwrap_or_else(|p| p.into_inner());
        lists.get(key).filter(|(at, _)| at.elapsed() < FRESH).map(|(_, items)| items.clone())
    }

    fn put(&self, key: String, items: Arc<Vec<Item>>) {
        let mut lists = self.lists.lock().unwrap_or_else(|p| p.into_inner());
        if lists.len() >= MAX_ENTRIES {
            lists.retain(|_, (at, _)| at.elapsed() < FRESH);
            if lists.len() >= MAX_ENTRIES
                && let Some(oldest) = lists.iter().min_by_key(|(_, (at, _))| *at).map(|(k, _)| k.clone())
            {
                lists.remove(&oldest);
            }
        }
        lists.insert(key, (Instant::now(), items));
    }
}

/// Where the values of the argument being completed come from.
struct Lister {
    tool: &'static str,
    value: &'static str,
    labels: &'static [&'static str],
}

fn lister_for_variable(tool: &str, variable: &str) -> Option<Lister> {
    let spec = crate::bridge::resources::all().find(|r| r.tool == tool)?;
    let v = spec.variables.iter().find(|v| v.name == variable)?;
    Some(Lister { tool: v.list_tool?, value: v.value_field?, labels: v.label_fields })
}

fn lister(request: &CompleteRequestParams) -> Option<Lister> {
    let argument = request.argument.name.as_str();
    match &request.r#ref {
        Reference::Resource(r) => {
            let spec = crate::bridge::resources::all().find(|s| s.uri == r.uri)?;
            lister_for_variable(spec.tool, argument)
        }
        Reference::Prompt(p) => {
            let prompt = crate::bridge::prompts::find(&p.name)?;
            match prompt.arguments.iter().find(|a| a.name == argument)?.source {
                Source::Variable { tool, variable } => lister_for_variable(tool, variable),
                Source::Items { list_tool, value, labels } => Some(Lister { tool: list_tool, value, labels }),
            }
        }
        _ => None,
    }
}

/// Does `prefix` start the value, or the label, or one of the label's words?
fn matches(prefix: &str, (value, label): &Item) -> bool {
    let p = prefix.to_lowercase();
    value.to_lowercase().starts_with(&p)
        || label.as_ref().is_some_and(|l| {
            let l = l.to_lowercase();
            l.starts_with(&p) || l.split(|c: char| !c.is_alphanumeric()).any(|w| w.starts_with(&p))
        })
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl Bridge {
    /// Values for the argument `request` names, filtered by what was typed. Anything that
    /// cannot be completed (an unknown reference, a list the caller may not read, a backend
    /// error) completes to nothing, never to an error.
    pub async fn completions(&self, request: &CompleteRequestParams, asker: &Asker) -> CompleteResult {
        let Some(lister) = lister(request) else { return CompleteResult::default() };
        let Some(tool) = crate::bridge::tools::all().find(|t| t.name == lister.tool) else {
            return CompleteResult::default();
        };
        // A nested list (a POI's identifiers) takes the arguments the client already resolved.
        let resolved = request.context.as_ref().and_then(|c| c.arguments.clone()).unwrap_or_default();
        let arguments: JsonObject = tool
            .params
            .iter()
            .filter_map(|p| resolved.get(p.name).map(|v| (p.name.to_string(), Value::String(v.clone()))))
            .collect();
        let arguments = crate::bridge::resources::typed(tool, arguments);
        let key = format!("{}\u{0}{}\u{0}{}", lister.tool, asker.caller.name, Value::Object(arguments.clone()));
        let items = match self.inner.completions.get(&key) {
            Some(items) => items,
            None => {
                let Some(items) = self.list_items(&lister, arguments, asker).await else {
                    return CompleteResult::default();
                };
                let items = Arc::new(items);
                self.inner.completions.put(key, items.clone());
                items
            }
        };
        let typed = request.argument.value.as_str();
        let found: Vec<&Item> = items.iter().filter(|item| matches(typed, item)).collect();
        let shown: Vec<&Item> = found.iter().take(CompletionInfo::MAX_VALUES).copied().collect();
        let labels: Map<String, Value> =
            shown.iter().filter_map(|(v, l)| l.as_ref().map(|l| (v.clone(), json!(l)))).collect();
        let mut info = CompletionInfo::default();
        info.values = shown.iter().map(|(v, _)| v.clone()).collect();
        info.total = u32::try_from(found.len()).ok();
        info.has_more = Some(found.len() > shown.len());
        let mut result = CompleteResult::new(info);
        if !labels.is_empty() {
            let mut meta = JsonObject::new();
            meta.insert("vtoc/labels".into(), Value::Object(labels));
            result.meta = Some(rmcp::model::MetaObject(meta));
        }
        result
    }

    async fn list_items(&self, lister: &Lister, arguments: JsonObject, asker: &Asker) -> Option<Vec<Item>> {
        let response = self.call(asker.request(lister.tool, arguments, Origin::Completion)).await.ok()?;
        let CallToolResponse::Complete(result) = response else { return None };
        if result.is_error == Some(true) {
            return None;
        }
        let structured = result.structured_content?;
        let list = structured.get(crate::codegen::ir::RESULT_KEY).unwrap_or(&structured).as_array()?.clone();
        Some(
            list.iter()
                .filter_map(|item| {
                    let value = as_text(item.get(lister.value)?)?;
                    let label = lister.labels.iter().find_map(|f| item.get(*f).and_then(as_text));
                    Some((value, label))
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_match_values_labels_and_label_words() {
        let item = ("ops-center".to_string(), Some("Operations Center".to_string()));
        for typed in ["", "o", "OPS", "oper", "center", "Cen"] {
            assert!(matches(typed, &item), "{typed}");
        }
        for typed in ["x", "enter", "ops-centers"] {
            assert!(!matches(typed, &item), "{typed}");
        }
        assert!(matches("12", &("12".to_string(), None)));
    }

    #[test]
    fn the_cache_forgets_when_full() {
        let cache = Cache::default();
        for i in 0..MAX_ENTRIES + 5 {
            cache.put(format!("k{i}"), Arc::new(vec![]));
        }
        assert!(cache.lists.lock().unwrap().len() <= MAX_ENTRIES);
        assert!(cache.get(&format!("k{}", MAX_ENTRIES + 4)).is_some(), "the newest stays");
    }
}
