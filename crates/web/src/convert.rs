//! Conversions between JS values and core types.

use alloc::string::String;
use alloc::vec::Vec;
use js_sys::{Array, Object};
use wasm_bindgen::{JsCast, JsValue};

use crate::dom::set;
use crate::{cat, Error};
use crate::core::consent::{Choice, Consent};
use crate::core::time;
use crate::core::value::{Path, Value};

/// Deep enough for policy documents (clauses and lists nest; the policy
/// decoder has its own, tighter limit), shallow enough to stop a cycle early.
const MAX_DEPTH: usize = 100;

/// Walks a JS value (already parsed by the browser) into a [`Value`].
pub fn to_value(v: &JsValue, path: &Path, depth: usize) -> Result<Value, Error> {
    if depth > MAX_DEPTH {
        return Err(Error::Argument(cat(&[&path.render(), ": nested too deeply"])));
    }
    if v.is_null() || v.is_undefined() {
        return Ok(Value::Null);
    }
    if let Some(b) = v.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Some(n) = v.as_f64() {
        return Ok(Value::Num(n));
    }
    if let Some(s) = v.as_string() {
        return Ok(Value::Str(s));
    }
    if Array::is_array(v) {
        let arr: &Array = v.unchecked_ref();
        let mut items = Vec::new();
        for (i, item) in arr.iter().enumerate() {
            items.push(to_value(&item, &Path::Index(path, i), depth + 1)?);
        }
        return Ok(Value::Arr(items));
    }
    if v.is_object() && !v.is_function() {
        let obj: &Object = v.unchecked_ref();
        let mut pairs = Vec::new();
        for entry in Object::entries(obj).iter() {
            let entry: Array = entry.unchecked_into();
            let key = entry.get_unchecked(0).as_string().unwrap_or_default();
            let value = to_value(&entry.get_unchecked(1), &Path::Key(path, &key), depth + 1)?;
            pairs.push((key, value));
        }
        return Ok(Value::Obj(pairs));
    }
    let what = if v.is_function() { "a function" } else { "an unsupported value" };
    let path = path.render();
    let at = if path.is_empty() { "config" } else { &path };
    Err(Error::Argument(cat(&[at, ": ", what, " is not allowed here"])))
}

fn states(list: &[(String, bool)]) -> Object {
    let o = Object::new();
    for (k, v) in list {
        set(&o, k, &JsValue::from_bool(*v));
    }
    o
}

/// The public shape of a consent (see `kelisim.d.ts`).
pub fn consent_to_js(c: &Consent) -> JsValue {
    let o = Object::new();
    set(&o, "id", &c.id.as_str().into());
    set(&o, "subject", &c.subject.as_str().into());
    set(&o, "givenAt", &time::to_iso(c.given_at).into());
    set(&o, "expiresAt", &time::to_iso(c.expires_at()).into());
    set(&o, "revision", &JsValue::from_f64(c.revision as f64));
    set(&o, "language", &c.language.code().into());
    set(&o, "categories", &states(&c.categories));
    set(&o, "services", &states(&c.services));
    set(&o, "method", &c.method.as_str().into());
    set(&o, "gpc", &JsValue::from_bool(c.gpc));
    o.into()
}

/// The ids of a list as a JS array.
pub fn ids_to_js(ids: &[String]) -> JsValue {
    ids.iter().map(|s| JsValue::from_str(s)).collect::<Array>().into()
}

fn state_map(v: &Value, path: &str) -> Result<Vec<(String, bool)>, Error> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Obj(pairs) => {
            let mut out = Vec::new();
            for (k, v) in pairs {
                let Value::Bool(b) = v else {
                    return Err(Error::Argument(cat(&[path, ".", k, ": expected true or false, got ", v.kind()])));
                };
                out.push((k.clone(), *b));
            }
            Ok(out)
        }
        other => Err(Error::Argument(cat(&[path, ": expected an object, got ", other.kind()]))),
    }
}

/// `setConsent({categories, services})` argument.
pub fn choice_from_js(v: &JsValue) -> Result<Choice, Error> {
    let value = to_value(v, &Path::Named("setConsent"), 0)?;
    let Value::Obj(pairs) = &value else {
        return Err(Error::Argument("setConsent: expected {categories, services}".into()));
    };
    if let Some((k, _)) = pairs.iter().find(|(k, _)| k != "categories" && k != "services") {
        return Err(Error::Argument(cat(&["setConsent.", k, ": unknown field (expected categories, services)"])));
    }
    Ok(Choice::Custom {
        categories: state_map(value.get("categories").unwrap_or(&Value::Null), "categories")?,
        services: state_map(value.get("services").unwrap_or(&Value::Null), "services")?,
    })
}
