//! template.yaml and start-up agree: every parameter that becomes a setting accepts exactly
//! the values start-up accepts, so a stack that deploys also starts (and `AdminEmail =
//! ops@localhost`, which start-up refuses, cannot deploy).

use pokeco_core::config::{oai_settings, Fallbacks};
use pokeco_testkit::repo_root;
use regex::Regex;
use serde_yaml::Value;

/// Each parameter, the setting it becomes, and values to try on both.
const CASES: &[(&str, &str, &[&str])] = &[
    (
        "OaiPrefix",
        "POKECO_OAI_PREFIX",
        &[
            "oai:it.polimi.pok:",
            "oai:x:",
            "oai:-a.b-:",
            "oai::",
            "oai:a b:",
            "oai:a:b:",
            "oai:x_y:",
            "it.polimi.pok",
            "oai:it.polimi.pok",
            "OAI:x:",
            "oai:é:",
        ],
    ),
    (
        "AdminEmail",
        "POKECO_ADMIN_EMAIL",
        &[
            "ops@pok.example.org",
            "a.b+c%d_e-f@x-y.org",
            "ops@localhost",
            "a@b@c.org",
            "@x.org",
            "a@.org",
            "a@x..org",
            "a@x.org.",
            "a b@x.org",
            "é@x.org",
            "a@x.o",
            "a@x_y.org",
            "ops@pok.example.org ",
        ],
    ),
    (
        "BaseUrl",
        "POKECO_BASE_URL",
        &[
            "",
            "https://pok.example.org",
            "https://pok.example.org/",
            "http://127.0.0.1:3000",
            "https://x.org/base/path-1_~",
            "https://[::1]:8080/p",
            "https://[::1]",
            "pok.example.org",
            "https://x.org/?a",
            "https://x.org/#f",
            "https://u@x.org/",
            "ftp://x.org",
            "HTTPS://x.org",
            "https://x.org:port/",
            "https://x .org/",
            "https://x.org/a b",
            "https://exämple.org/",
            "https://",
            "https://x.org:123456",
            "https://[zz]/",
            "https://[::1",
            "https://x.org/%7E",
        ],
    ),
    (
        "RepositoryName",
        "POKECO_REPOSITORY_NAME",
        &["pok-eco", "Politecnico di Milano — POK", "x"],
    ),
];

fn parameters() -> Value {
    let text = std::fs::read_to_string(repo_root().join("template.yaml")).unwrap();
    let template: Value = serde_yaml::from_str(&text).unwrap();
    template["Parameters"].clone()
}

/// Whether CloudFormation accepts `value` for `parameter`: AllowedPattern matches the whole
/// value, MinLength and MaxLength hold, AllowedValues contain it.
fn template_accepts(parameter: &Value, value: &str) -> bool {
    let pattern_ok = parameter["AllowedPattern"]
        .as_str()
        .is_none_or(|p| Regex::new(&format!("^(?:{p})$")).unwrap().is_match(value));
    let chars = value.chars().count() as u64;
    let min_ok = parameter["MinLength"].as_u64().is_none_or(|m| chars >= m);
    let max_ok = parameter["MaxLength"].as_u64().is_none_or(|m| chars <= m);
    let listed = parameter["AllowedValues"]
        .as_sequence()
        .is_none_or(|vs| vs.iter().any(|v| v.as_str() == Some(value)));
    pattern_ok && min_ok && max_ok && listed
}

/// Whether the functions start with this value, everything else as the template sets it.
fn startup_accepts(setting: &str, value: &str) -> bool {
    let lookup = |name: &str| {
        if name == setting {
            return Some(value.to_owned());
        }
        match name {
            "POKECO_OAI_PREFIX" => Some("oai:it.polimi.pok:".to_owned()),
            "POKECO_ADMIN_EMAIL" => Some("ops@pok.example.org".to_owned()),
            "POKECO_TOKEN_SECRET" => Some("a-secret-read-from-ssm".to_owned()),
            _ => None,
        }
    };
    oai_settings(&lookup, Fallbacks::default()).is_ok()
}

#[test]
fn every_parameter_accepts_what_start_up_accepts() {
    let parameters = parameters();
    let mut disagreements = Vec::new();
    for (name, setting, values) in CASES {
        let parameter = &parameters[*name];
        assert!(
            parameter.is_mapping(),
            "template.yaml has no parameter {name}"
        );
        let mut both = (false, false);
        for value in *values {
            let (template, startup) = (
                template_accepts(parameter, value),
                startup_accepts(setting, value),
            );
            if template != startup {
                disagreements.push(format!(
                    "{name} = {value:?}: template {}, start-up {}",
                    if template { "accepts" } else { "refuses" },
                    if startup { "accepts" } else { "refuses" }
                ));
            }
            both = (both.0 || template, both.1 || !template);
        }
        // The corpus exercises both sides of every rule but the free-text name.
        if *name != "RepositoryName" {
            assert_eq!(
                both,
                (true, true),
                "{name}: the values must include accepted and refused ones"
            );
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

/// The template's defaults deploy and start.
#[test]
fn every_default_starts() {
    let parameters = parameters();
    for (name, setting, _) in CASES {
        if let Some(default) = parameters[*name]["Default"].as_str() {
            assert!(
                template_accepts(&parameters[*name], default),
                "{name} default"
            );
            assert!(
                startup_accepts(setting, default),
                "{name} default {default:?}"
            );
        }
    }
}
