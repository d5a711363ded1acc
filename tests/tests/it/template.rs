//! template.yaml and start-up agree: every parameter that becomes a setting accepts exactly
//! the values start-up accepts, so a stack that deploys also starts (and `AdminEmail =
//! ops@localhost`, which start-up refuses, cannot deploy); every function is given the settings
//! its start-up reads, and only those, enough to start; and the statement queue, its dead
//! letters and the scheduled sync fit together.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use pokeco_core::config::{
    admin_settings, ecoapi_settings, ingest_settings, oai_settings, sync_settings, ConfigError,
    Fallbacks, Lookup,
};
use pokeco_testkit::repo_root;
use regex::Regex;
use serde_yaml::Value;

/// A function's start-up: the settings function its main.rs calls, and what main.rs adds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Startup {
    Oai,
    Admin,
    Ingest,
    Sync,
    Ecoapi,
}

impl Startup {
    /// The start-up of a main.rs that calls `config::<name>`.
    fn of_settings_fn(name: &str) -> Option<Self> {
        match name {
            "oai_settings" => Some(Self::Oai),
            "admin_settings" => Some(Self::Admin),
            "ingest_settings" => Some(Self::Ingest),
            "sync_settings" => Some(Self::Sync),
            "ecoapi_settings" => Some(Self::Ecoapi),
            _ => None,
        }
    }

    /// Whether start-up succeeds with these settings (secrets given as values, as a function
    /// has them once it read them from SSM).
    fn starts(self, lookup: Lookup<'_>) -> Result<(), String> {
        let result = match self {
            Self::Oai => oai_settings(lookup, Fallbacks::default()).map(|_| ()),
            Self::Admin => admin_settings(lookup, Fallbacks::default()).map(|_| ()),
            Self::Ingest => ingest_settings(lookup, Fallbacks::default()).map(|_| ()),
            Self::Ecoapi => ecoapi_settings(lookup, Fallbacks::default()).map(|_| ()),
            // lrs-sync's main.rs requires the LRS that `pokeco serve` can go without.
            Self::Sync => sync_settings(lookup, Fallbacks::default()).and_then(|(lrs, _)| {
                lrs.map(|_| ())
                    .ok_or(ConfigError::Missing("POKECO_LRS_URL"))
            }),
        };
        result.map_err(|e| e.to_string())
    }
}

/// A value start-up accepts for every setting (secrets as the values SSM would hand over).
const GOOD: &[(&str, &str)] = &[
    ("POKECO_OAI_PREFIX", "oai:it.polimi.pok:"),
    ("POKECO_REPOSITORY_NAME", "pok-eco"),
    ("POKECO_ADMIN_EMAIL", "ops@pok.example.org"),
    ("POKECO_BASE_URL", "https://pok.example.org"),
    ("POKECO_TOKEN_SECRET", "a-secret-read-from-ssm"),
    ("POKECO_TOKEN_TTL", "86400"),
    ("POKECO_OAI_PAGE_SIZE", "100"),
    ("POKECO_OAI_FINAL_EMPTY_TOKEN", "false"),
    ("POKECO_ADMIN_TOKEN", "a-token-read-from-ssm"),
    ("POKECO_INGEST_TOKEN", "a-token-read-from-ssm"),
    ("POKECO_TRACKED_COURSES", "course-v1:PoliMi+ECO101+2024_T1"),
    ("POKECO_ECO_HOMEPAGE", "https://portal.ecolearning.eu"),
    ("POKECO_LMS_URL", "https://lms.pok.example.org"),
    ("POKECO_LRS_URL", "https://lrs.example.org/xAPI"),
    ("POKECO_LRS_USERNAME", "pokeco"),
    ("POKECO_LRS_PASSWORD", "a-password-read-from-ssm"),
    ("POKECO_LRS_MODE", "batch"),
    ("POKECO_LRS_TIMEOUT", "10"),
    ("POKECO_SYNC_BATCH", "100"),
    ("POKECO_SYNC_MAX", "10000"),
    ("POKECO_ECO_PUSH_URL", "https://api.ecolearning.eu"),
    ("POKECO_ECO_PUSH_TIMEOUT", "3"),
    ("POKECO_PROGRESS_BUCKET", "300"),
    ("POKECO_ECOAPI_TOKEN", "a-token-read-from-ssm"),
    ("POKECO_ECOAPI_CIDRS", "192.0.2.0/24"),
];

fn good(name: &str) -> Option<String> {
    GOOD.iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| (*v).to_owned())
}

/// Each parameter, the setting it becomes, the start-up that reads it, and values to try on
/// both.
const CASES: &[(&str, &str, Startup, &[&str])] = &[
    (
        "OaiPrefix",
        "POKECO_OAI_PREFIX",
        Startup::Oai,
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
        Startup::Oai,
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
        Startup::Oai,
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
        Startup::Oai,
        &["pok-eco", "Politecnico di Milano — POK", "x"],
    ),
    (
        "LmsUrl",
        "POKECO_LMS_URL",
        Startup::Ingest,
        &[
            "https://lms.example.org",
            "https://lms.example.org/",
            "http://127.0.0.1:18000",
            "https://[::1]:8000/lms",
            "https://x.org//",
            "",
            "lms.example.org",
            "https://lms.example.org/?a",
            "https://u@lms.example.org",
            "ftp://x.org",
            "https://x.org:123456",
            "https://x .org",
            "https://",
        ],
    ),
    (
        "EcoHomepage",
        "POKECO_ECO_HOMEPAGE",
        Startup::Ingest,
        &[
            "",
            "https://portal.ecolearning.eu",
            "https://portal.ecolearning.eu/",
            "https://x.org//",
            "http://[::1]:8080/",
            "https://x.org:/",
            "/",
            "portal",
            "https://portal.ecolearning.eu/#f",
            "https://",
            "https:///x",
        ],
    ),
    (
        "TrackedCourses",
        "POKECO_TRACKED_COURSES",
        Startup::Ingest,
        &[
            "",
            "*",
            "course-v1:PoliMi+ECO101+2024_T1",
            "Polimi/FIS101/2015_M9",
            "course-v1:A+B+C, Org/C/R",
            " ,course-v1:A+B+C,, *,",
            "course-v1:A+B+C\tOrg/C/R\n",
            ",,,",
            "course-v1/b/c",
            "a.b-c~d%20/b_c/2024",
            "a/b/CCCCC",
            "LONGEST_V1",
            "course-v1:a+b",
            "a/b",
            "a/b/c/d",
            "course-v1:a+b+c d",
            "**",
            "*course-v1:A+B+C",
            "course-v1:A+B+C;Org/C/R",
            "course-v1:a/b/c",
            "Org/C/R*",
            "é/b/c",
            "a/b/c,oops",
            "a:b/c/d",
        ],
    ),
    (
        "LrsUrl",
        "POKECO_LRS_URL",
        Startup::Sync,
        &[
            "https://lrs.example.org/xAPI",
            "https://lrs.example.org/xAPI/",
            "http://127.0.0.1:8100/xAPI",
            "https://x.org//",
            "",
            "https://x.org:/",
            "lrs.example.org",
            "https://lrs.example.org/xAPI?x",
            "https://u:p@lrs.example.org/xAPI",
            "https://",
        ],
    ),
    (
        "LrsMode",
        "POKECO_LRS_MODE",
        Startup::Sync,
        &["batch", "eco-proxy", "fast", "Batch", "eco_proxy"],
    ),
    (
        "LrsTimeout",
        "POKECO_LRS_TIMEOUT",
        Startup::Sync,
        &[
            "10", "1", "60", "060", "+5", "", "0", "61", "600", "-1", "1.5", "1e1", "ten", "+",
        ],
    ),
    (
        "SyncBatch",
        "POKECO_SYNC_BATCH",
        Startup::Sync,
        &[
            "100", "1", "1000", "0001000", "+7", "", "0", "1001", "-5", "10.0", "1 0",
        ],
    ),
    (
        "SyncMax",
        "POKECO_SYNC_MAX",
        Startup::Sync,
        &[
            "10000",
            "1",
            "9999999999999999999",
            "",
            "0",
            "000",
            "-1",
            "1.5",
            "18446744073709551616",
        ],
    ),
];

/// Values start-up accepts and the template refuses, on purpose: the template may be stricter
/// (a stack that deploys still starts), never looser. Each with the reason.
const STRICTER: &[(&str, &str, Startup, &str, &str)] = &[
    (
        "TrackedCourses",
        "POKECO_TRACKED_COURSES",
        Startup::Ingest,
        "a/b/CCCCCC",
        "a key part over 81 characters: a pattern cannot bound the id's 255 bytes as a whole",
    ),
    (
        "TrackedCourses",
        "POKECO_TRACKED_COURSES",
        Startup::Ingest,
        "a/b/c\u{a0}d/e/f",
        "Unicode white space between entries: the pattern separates with ASCII only",
    ),
    (
        "LrsMode",
        "POKECO_LRS_MODE",
        Startup::Sync,
        "",
        "the template names the mode; start-up takes empty as batch",
    ),
    (
        "LrsTimeout",
        "POKECO_LRS_TIMEOUT",
        Startup::Sync,
        " 10",
        "white space around a number",
    ),
    (
        "SyncMax",
        "POKECO_SYNC_MAX",
        Startup::Sync,
        "18446744073709551615",
        "20 digits: the pattern stops at 19, usize at 2^64 - 1",
    ),
];

/// A case value: the placeholders stand for values too long to read in the table
/// (`LONGEST_V1` is a course-v1 id of 255 bytes, start-up's most; `CCCCC` is 81 c's, the
/// pattern's longest key part, and `CCCCCC` 82).
fn value_of(case: &str) -> String {
    match case {
        "LONGEST_V1" => format!(
            "course-v1:{}+{}+{}",
            "a".repeat(81),
            "b".repeat(81),
            "c".repeat(81)
        ),
        _ => case
            .replace("CCCCCC", &"c".repeat(82))
            .replace("CCCCC", &"c".repeat(81)),
    }
}

fn template() -> Value {
    let text = std::fs::read_to_string(repo_root().join("template.yaml")).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

fn parameters() -> Value {
    template()["Parameters"].clone()
}

/// Whether CloudFormation accepts `value` for `parameter`: AllowedPattern matches the whole
/// value, MinLength and MaxLength hold, AllowedValues contain it, a Number is a number within
/// MinValue and MaxValue.
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
    let number_ok = parameter["Type"].as_str() != Some("Number")
        || value.parse::<f64>().is_ok_and(|n| {
            parameter["MinValue"].as_f64().is_none_or(|m| n >= m)
                && parameter["MaxValue"].as_f64().is_none_or(|m| n <= m)
        });
    pattern_ok && min_ok && max_ok && listed && number_ok
}

/// Whether the function starts with this value, everything else good.
fn startup_accepts(startup: Startup, setting: &str, value: &str) -> bool {
    let lookup = |name: &str| {
        if name == setting {
            Some(value.to_owned())
        } else {
            good(name)
        }
    };
    startup.starts(&lookup).is_ok()
}

#[test]
fn every_parameter_accepts_what_start_up_accepts() {
    let parameters = parameters();
    let mut disagreements = Vec::new();
    for (name, setting, startup, values) in CASES {
        let parameter = &parameters[*name];
        assert!(
            parameter.is_mapping(),
            "template.yaml has no parameter {name}"
        );
        let mut both = (false, false);
        for value in *values {
            let value = value_of(value);
            let (template, startup) = (
                template_accepts(parameter, &value),
                startup_accepts(*startup, setting, &value),
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

/// Where the template is stricter, it is so on purpose and only there.
#[test]
fn the_template_is_stricter_only_where_it_says() {
    let parameters = parameters();
    for (name, setting, startup, value, why) in STRICTER {
        let value = value_of(value);
        assert!(
            !template_accepts(&parameters[*name], &value),
            "{name} = {value:?} ({why}): the template now accepts it; move it to CASES"
        );
        assert!(
            startup_accepts(*startup, setting, &value),
            "{name} = {value:?} ({why}): start-up now refuses it; move it to CASES"
        );
    }
}

/// The template's defaults deploy and start.
#[test]
fn every_default_starts() {
    let parameters = parameters();
    for (name, setting, startup, _) in CASES {
        if let Some(default) = parameters[*name]["Default"].as_str() {
            assert!(
                template_accepts(&parameters[*name], default),
                "{name} default"
            );
            assert!(
                startup_accepts(*startup, setting, default),
                "{name} default {default:?}"
            );
        }
    }
}

/// A Lambda function of the template, and what its main.rs reads at cold start.
struct Function {
    id: String,
    resource: Value,
    /// Globals' variables and its own.
    environment: BTreeMap<String, Value>,
    /// Its main.rs and lib.rs.
    main_rs: String,
    startup: Startup,
    /// Every name its start-up reads.
    reads: BTreeSet<String>,
    /// Names whose absence stops its start-up before the settings are read (`Missing(...)`
    /// in main.rs and in the start-up helpers it calls).
    required: BTreeSet<String>,
    /// `X_PARAM` to `X`: the secrets main.rs reads from SSM when their name is set.
    secrets: BTreeMap<String, String>,
}

/// Names of the environment the Lambda runtime libraries read, and what in main.rs shows that
/// the function uses them.
const RUNTIME_VARIABLES: &[(&str, &str)] = &[
    ("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH", "lambda_http::run("),
    ("RUST_LOG", "pokeco_lambda::start("),
];

fn captures(pattern: &str, text: &str) -> Vec<String> {
    Regex::new(pattern)
        .unwrap()
        .captures_iter(text)
        .map(|c| c[1].to_owned())
        .collect()
}

/// The body of each public function of shared/lambda/src/startup.rs, by name.
fn startup_helpers() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(repo_root().join("shared/lambda/src/startup.rs")).unwrap();
    let header = Regex::new(r"(?m)^pub (?:async )?fn (\w+)").unwrap();
    let starts: Vec<(usize, String)> = header
        .captures_iter(&text)
        .map(|c| (c.get(0).unwrap().start(), c[1].to_owned()))
        .collect();
    starts
        .iter()
        .enumerate()
        .map(|(i, (at, name))| {
            let end = starts.get(i + 1).map_or(text.len(), |(next, _)| *next);
            (name.clone(), text[*at..end].to_owned())
        })
        .collect()
}

/// Every `AWS::Serverless::Function` of the template, with its main.rs (and lib.rs) read.
fn functions(template: &Value) -> Vec<Function> {
    let helpers = startup_helpers();
    let globals = template["Globals"]["Function"]["Environment"]["Variables"]
        .as_mapping()
        .cloned()
        .unwrap_or_default();
    let secret = Regex::new(r#"secret\(\s*&\w+,\s*"(\w+)",\s*"(\w+)",?\s*\)"#).unwrap();
    let mut found = Vec::new();
    for (id, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let id = id.as_str().unwrap().to_owned();
        let binary = resource["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or_else(|| panic!("{id} names no Binary"));
        let folder = repo_root().join("functions").join(binary);
        let manifest = std::fs::read_to_string(folder.join("Cargo.toml"))
            .unwrap_or_else(|e| panic!("{id}: no crate functions/{binary}: {e}"));
        assert!(
            manifest.contains(&format!("name = \"{binary}\"")),
            "{id}: functions/{binary} has no binary {binary}"
        );
        // main.rs, and the handler it may keep in lib.rs.
        let main_rs = ["src/main.rs", "src/lib.rs"]
            .iter()
            .filter_map(|file| std::fs::read_to_string(folder.join(file)).ok())
            .collect::<Vec<_>>()
            .join("\n");

        let settings_fns = captures(r"config::(\w+_settings)\(", &main_rs);
        assert_eq!(
            settings_fns.len(),
            1,
            "{id}: main.rs calls {settings_fns:?}, the test expects one settings function"
        );
        let startup = Startup::of_settings_fn(&settings_fns[0]).unwrap_or_else(|| {
            panic!(
                "{id}: {} is new to this test: add it to Startup",
                settings_fns[0]
            )
        });
        // The names the settings function asks for, every one given a good value so that
        // none stops it early.
        let asked = RefCell::new(BTreeSet::new());
        let recording = |name: &str| {
            asked.borrow_mut().insert(name.to_owned());
            good(name)
        };
        startup
            .starts(&recording)
            .unwrap_or_else(|e| panic!("{id}: does not start with good values: {e}"));
        let mut reads = asked.into_inner();
        let mut required = BTreeSet::new();

        let mut sources = vec![main_rs.clone()];
        for helper in captures(r"pokeco_lambda::(\w+)\(", &main_rs) {
            let body = helpers
                .get(&helper)
                .unwrap_or_else(|| panic!("{id}: pokeco_lambda::{helper} not in startup.rs"));
            sources.push(body.clone());
        }
        for source in &sources {
            reads.extend(captures(r#"process_env\("(\w+)"\)"#, source));
            required.extend(captures(r#"Missing\("(\w+)"\)"#, source));
        }
        let secrets: BTreeMap<String, String> = secret
            .captures_iter(&main_rs)
            .map(|c| (c[1].to_owned(), c[2].to_owned()))
            .collect();
        for (param, value) in &secrets {
            reads.insert(param.clone());
            reads.insert(value.clone());
        }
        reads.extend(required.iter().cloned());

        let mut environment: BTreeMap<String, Value> = globals
            .iter()
            .map(|(k, v)| (k.as_str().unwrap().to_owned(), v.clone()))
            .collect();
        if let Some(own) = resource["Properties"]["Environment"]["Variables"].as_mapping() {
            for (k, v) in own {
                environment.insert(k.as_str().unwrap().to_owned(), v.clone());
            }
        }
        found.push(Function {
            id,
            resource: resource.clone(),
            environment,
            main_rs,
            startup,
            reads,
            required,
            secrets,
        });
    }
    found
}

/// `!Tag value` as (tag, value).
fn tagged(value: &Value) -> Option<(String, &Value)> {
    match value {
        Value::Tagged(t) => Some((
            t.tag.to_string().trim_start_matches('!').to_owned(),
            &t.value,
        )),
        _ => None,
    }
}

/// The name X of `!Ref X`.
fn ref_of(value: &Value) -> Option<&str> {
    match tagged(value) {
        Some((tag, name)) if tag == "Ref" => name.as_str(),
        _ => None,
    }
}

/// The parameter a variable is set from: `!Ref X`, or `!If [c, !Ref X, !Ref AWS::NoValue]`.
fn param_of(value: &Value) -> Option<&str> {
    match tagged(value) {
        Some((tag, args)) if tag == "If" => args
            .as_sequence()?
            .iter()
            .skip(1)
            .filter_map(ref_of)
            .find(|name| !name.starts_with("AWS::")),
        _ => ref_of(value),
    }
}

/// Whether a variable is always set, whatever the parameters: not empty, not dropped by an
/// `!If`, not a parameter that may be left empty.
fn always_set(value: &Value, parameters: &Value) -> bool {
    if let Some((tag, _)) = tagged(value) {
        if tag == "If" {
            return false;
        }
    }
    match ref_of(value) {
        Some(name) => parameters[name]["Default"].as_str() != Some(""),
        None => value.as_str() != Some(""),
    }
}

#[test]
fn every_function_is_given_what_it_reads_and_only_that() {
    let template = template();
    let parameters = &template["Parameters"];
    let functions = functions(&template);
    assert!(
        functions.len() >= 4,
        "the template's functions: {}",
        functions.len()
    );
    let mut problems = Vec::new();
    for f in &functions {
        for name in f.environment.keys() {
            let known = if name.starts_with("POKECO_") {
                f.reads.contains(name)
            } else {
                RUNTIME_VARIABLES
                    .iter()
                    .any(|(n, marker)| n == name && f.main_rs.contains(marker))
            };
            if !known {
                problems.push(format!(
                    "{}: sets {name}, which its start-up never reads",
                    f.id
                ));
            }
        }
        for name in &f.required {
            if !f
                .environment
                .get(name)
                .is_some_and(|v| always_set(v, parameters))
            {
                problems.push(format!(
                    "{}: does not always set {name}, which it requires",
                    f.id
                ));
            }
        }
        // The variables always set, with good values (a secret's name gives its value), are
        // enough to start.
        let set: BTreeSet<&str> = f
            .environment
            .iter()
            .filter(|(_, v)| always_set(v, parameters))
            .map(|(k, _)| k.as_str())
            .collect();
        let lookup = |name: &str| {
            let from_ssm = f
                .secrets
                .iter()
                .any(|(param, value)| value == name && set.contains(param.as_str()));
            if set.contains(name) || from_ssm {
                good(name)
            } else {
                None
            }
        };
        if let Err(e) = f.startup.starts(&lookup) {
            problems.push(format!(
                "{}: does not start with what the template sets: {e}",
                f.id
            ));
        }
        // A secret's value is never in the template, only its name.
        for value in f.secrets.values() {
            if f.environment.contains_key(value) {
                problems.push(format!("{}: {value} is a secret: set {value}_PARAM", f.id));
            }
        }
    }
    // Each parameter with cases is the setting it is tested as, for the start-up tested.
    for (name, setting, startup, _) in CASES {
        let given = functions.iter().any(|f| {
            f.startup == *startup && f.environment.get(*setting).and_then(param_of) == Some(*name)
        });
        if !given {
            problems.push(format!(
                "no {startup:?} function sets {setting} to !Ref {name}, as CASES says"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A function's own Timeout, else the Globals'.
fn timeout(template: &Value, f: &Function) -> u64 {
    f.resource["Properties"]["Timeout"]
        .as_u64()
        .or_else(|| template["Globals"]["Function"]["Timeout"].as_u64())
        .unwrap()
}

#[test]
fn the_queue_its_dead_letters_and_the_sync_fit_together() {
    let template = template();
    let parameters = &template["Parameters"];
    let resources = &template["Resources"];
    let functions = functions(&template);
    let sync = functions
        .iter()
        .find(|f| f.startup == Startup::Sync)
        .expect("the template has the lrs-sync function");
    let sync_timeout = timeout(&template, sync);

    // One queue, the same for every function that names one.
    let queues: BTreeSet<&str> = functions
        .iter()
        .filter_map(|f| f.environment.get("POKECO_QUEUE_URL"))
        .map(|v| ref_of(v).expect("POKECO_QUEUE_URL is !Ref of the queue"))
        .collect();
    assert_eq!(queues.len(), 1, "one statement queue: {queues:?}");
    let queue_id = *queues.first().unwrap();
    let queue = &resources[queue_id];
    assert_eq!(queue["Type"].as_str(), Some("AWS::SQS::Queue"));
    let visibility = queue["Properties"]["VisibilityTimeout"].as_u64().unwrap();
    assert!(
        visibility > sync_timeout,
        "the queue's visibility timeout ({visibility} s) must outlast a sync run ({sync_timeout} s)"
    );

    // Dead letters after MaxReceiveCount receives, the parameter's.
    let redrive = &queue["Properties"]["RedrivePolicy"];
    let count = ref_of(&redrive["maxReceiveCount"]).expect("maxReceiveCount is !Ref a parameter");
    let count_parameter = &parameters[count];
    assert_eq!(count_parameter["Type"].as_str(), Some("Number"), "{count}");
    // SQS takes 1 to 1000.
    let range = (
        count_parameter["MinValue"].as_u64(),
        count_parameter["MaxValue"].as_u64(),
    );
    assert!(
        matches!(range, (Some(1..=1000), Some(1..=1000))),
        "{count}: MinValue and MaxValue within 1..=1000, not {range:?}"
    );
    let (tag, target) = tagged(&redrive["deadLetterTargetArn"]).unwrap();
    let target = target.as_str().unwrap();
    assert_eq!(tag, "GetAtt");
    let dead_id = target
        .strip_suffix(".Arn")
        .expect("the dead-letter queue's Arn");
    assert_ne!(dead_id, queue_id);
    let dead = &resources[dead_id];
    assert_eq!(dead["Type"].as_str(), Some("AWS::SQS::Queue"));
    // A dead letter keeps the time it was first queued: its queue keeps it no shorter.
    let retention = |q: &Value| q["Properties"]["MessageRetentionPeriod"].as_u64().unwrap();
    assert!(retention(dead) >= retention(queue));
    for q in [queue, dead] {
        assert_eq!(
            q["Properties"]["SqsManagedSseEnabled"].as_bool(),
            Some(true)
        );
    }

    // Runs never overlap, and come on a schedule the parameters set.
    assert_eq!(
        sync.resource["Properties"]["ReservedConcurrentExecutions"].as_u64(),
        Some(1),
        "the sync's reserved concurrency: runs never overlap"
    );
    let schedules: Vec<&Value> = sync.resource["Properties"]["Events"]
        .as_mapping()
        .unwrap()
        .values()
        .filter(|e| e["Type"].as_str() == Some("Schedule"))
        .collect();
    assert_eq!(schedules.len(), 1, "one schedule");
    let rate = ref_of(&schedules[0]["Properties"]["Schedule"]).expect("!Ref of a parameter");
    assert!(parameters[rate].is_mapping(), "{rate}");

    // At the largest LRS timeout the template accepts, a run still has time for a round: the
    // sync starts one only while more than its round time is left, less main.rs's margin.
    let lrs_timeout = ref_of(&sync.environment["POKECO_LRS_TIMEOUT"]).unwrap();
    let largest = (1..=3600u64)
        .filter(|t| template_accepts(&parameters[lrs_timeout], &t.to_string()))
        .max()
        .unwrap();
    let with_largest = |name: &str| {
        if name == "POKECO_LRS_TIMEOUT" {
            Some(largest.to_string())
        } else {
            good(name)
        }
    };
    let (_, settings) = sync_settings(&with_largest, Fallbacks::default())
        .unwrap_or_else(|e| panic!("{lrs_timeout} = {largest} deploys but does not start: {e}"));
    let margin: u64 = captures(
        r"const MARGIN: Duration = Duration::from_secs\((\d+)\);",
        &sync.main_rs,
    )
    .first()
    .expect("lrs-sync keeps a MARGIN")
    .parse()
    .unwrap();
    assert!(
        sync_timeout > margin + settings.round_time.as_secs(),
        "a sync run of {sync_timeout} s never starts a round at {lrs_timeout} = {largest}"
    );
}

/// One route of a function's router, read from its source: the path as axum writes it and the
/// methods it takes.
#[derive(Debug)]
struct RouterRoute {
    path: String,
    methods: BTreeSet<String>,
}

/// Every `.route("...", get(..).post(..))` of a function crate's lib.rs.
fn router_routes(binary: &str) -> Vec<RouterRoute> {
    let source = std::fs::read_to_string(
        repo_root()
            .join("functions")
            .join(binary)
            .join("src/lib.rs"),
    )
    .unwrap();
    let path = Regex::new(r#"^\s*"([^"]+)""#).unwrap();
    let method = Regex::new(r"\b(get|post|put|delete|patch)\(").unwrap();
    let mut found = Vec::new();
    for (start, _) in source.match_indices(".route(") {
        // The call's text, up to its closing parenthesis.
        let body = &source[start + ".route(".len()..];
        let mut depth = 1;
        let end = body
            .char_indices()
            .find(|&(_, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .map(|(i, _)| i)
            .unwrap();
        let call = &body[..end];
        let path = path
            .captures(call)
            .unwrap_or_else(|| panic!("{binary}: a route whose path is not a literal: {call}"))[1]
            .to_owned();
        let methods = method
            .captures_iter(call)
            .map(|c| c[1].to_uppercase())
            .collect();
        found.push(RouterRoute { path, methods });
    }
    assert!(!found.is_empty(), "{binary}: no route found in its lib.rs");
    found
}

/// Whether the API Gateway route `template_path` sends `path` (axum's syntax) to its function.
fn api_route_covers(template_path: &str, path: &str) -> bool {
    match template_path.strip_suffix("{proxy+}") {
        Some(prefix) => path.starts_with(prefix) && path.len() > prefix.len(),
        None => template_path == path,
    }
}

/// The HTTP API's routes are exactly the routers' (which `pokeco serve` also serves): every
/// router route is reached through the API with each of its methods, and every API route
/// reaches some router route.
#[test]
fn the_api_routes_lead_to_the_routers_routes_and_no_others() {
    let template = template();
    let mut checked = 0;
    for (id, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let binary = resource["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap();
        let api: Vec<(String, String)> = resource["Properties"]["Events"]
            .as_mapping()
            .map(|events| {
                events
                    .values()
                    .filter(|e| e["Type"].as_str() == Some("HttpApi"))
                    .map(|e| {
                        let p = &e["Properties"];
                        (
                            p["Path"].as_str().unwrap().to_owned(),
                            p["Method"].as_str().unwrap().to_uppercase(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        if api.is_empty() {
            // The scheduled sync has no router.
            let lib = std::fs::read_to_string(
                repo_root()
                    .join("functions")
                    .join(binary)
                    .join("src/lib.rs"),
            )
            .unwrap_or_default();
            assert!(
                !lib.contains(".route("),
                "{id:?}: a router with no API route"
            );
            continue;
        }
        let routes = router_routes(binary);
        for route in &routes {
            for method in &route.methods {
                assert!(
                    api.iter()
                        .any(|(p, m)| api_route_covers(p, &route.path)
                            && (m == "ANY" || m == method)),
                    "{id:?}: {method} {} is in the router but no API route sends it there",
                    route.path
                );
                checked += 1;
            }
        }
        for (p, m) in &api {
            assert!(
                routes
                    .iter()
                    .any(|r| api_route_covers(p, &r.path) && (m == "ANY" || r.methods.contains(m))),
                "{id:?}: the API route {m} {p} reaches no route of the router"
            );
        }
    }
    assert!(checked >= 20, "only {checked} router routes checked");
}

/// The payload files of `cargo lambda invoke` (infra/events, `<function>.<what>.json`) are
/// events their function takes: API Gateway v2 requests that the template routes to it, or
/// the schedule's event.
#[test]
fn the_local_payload_files_are_events_of_their_functions() {
    let template = template();
    let folder = repo_root().join("infra/events");
    let mut seen = 0;
    for entry in std::fs::read_dir(&folder).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let binary = name.split('.').next().unwrap();
        let function = template["Resources"]
            .as_mapping()
            .unwrap()
            .values()
            .find(|r| r["Metadata"]["BuildProperties"]["Binary"].as_str() == Some(binary))
            .unwrap_or_else(|| panic!("{name}: no function {binary} in the template"));
        let text = std::fs::read_to_string(&path).unwrap();
        let events = function["Properties"]["Events"].as_mapping().unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        if json["detail-type"] == "Scheduled Event" {
            assert!(
                events
                    .values()
                    .any(|e| e["Type"].as_str() == Some("Schedule")),
                "{name}: {binary} has no schedule"
            );
        } else {
            let request = lambda_http::request::from_str(&text)
                .unwrap_or_else(|e| panic!("{name}: not an API Gateway event: {e}"));
            let (method, path) = (request.method().as_str(), request.uri().path());
            assert!(
                events.values().any(|e| {
                    let p = &e["Properties"];
                    e["Type"].as_str() == Some("HttpApi")
                        && api_route_covers(p["Path"].as_str().unwrap(), path)
                        && matches!(p["Method"].as_str(), Some(m) if m.eq_ignore_ascii_case("ANY") || m.eq_ignore_ascii_case(method))
                }),
                "{name}: {method} {path} does not reach {binary}"
            );
        }
        seen += 1;
    }
    assert!(seen >= 5, "{seen} payload files");
}
