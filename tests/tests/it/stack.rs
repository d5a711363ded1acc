//! The stack test (issue 8 §3): template.yaml expanded to plain CloudFormation
//! (`infra/sam2cfn.py`), deployed with `aws cloudformation deploy` on moto's CloudFormation (the
//! SSM SecureStrings created first, each function's code a small zip in a throwaway bucket),
//! every function's configuration read back, and each function's real bootstrap (the debug
//! binaries of this test run) started under a local Lambda Runtime API with exactly that
//! environment, against moto. API Gateway v2 and EventBridge events then drive them: an admin
//! write, a harvest, an ingest, a sync into the strict LRS, an ecoapi read. Every AWS call a
//! function makes goes through a recorder and is held against what its deployed role allows.
//!
//! So a wrong `!Ref`, a missing or misnamed variable, a parameter the functions cannot read, a
//! queue or table name that is not the stack's, or a grant that does not cover a call the code
//! makes, fails here.
//!
//! It needs every function's bootstrap built: `infra/test` (cargo test --workspace) builds
//! them; alone, name their packages too: `infra/test -p pokeco-e2e -p pokeco-oai-pmh -p
//! pokeco-admin -p pokeco-ingest -p pokeco-ecoapi -p pokeco-lrs-sync stack`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use pokeco_e2e::aws_recorder::{AwsRecorder, Call};
use pokeco_e2e::lambda_runtime::{AwsTarget, FunctionConfig, LocalLambda, Outcome};
use pokeco_e2e::learners::{Learners, HOMEPAGE};
use pokeco_testkit::events::legacy_events;
use pokeco_testkit::peers::{venv, LrsPeer};
use pokeco_testkit::{repo_root, OAI_PREFIX};
use serde_json::{json, Value};

/// The template's functions: logical id and the binary cargo-lambda builds for it
/// (`Metadata.BuildProperties.Binary`).
const FUNCTIONS: [(&str, &str); 5] = [
    ("OaiPmhFunction", "oai-pmh"),
    ("AdminFunction", "admin"),
    ("IngestFunction", "ingest"),
    ("EcoapiFunction", "ecoapi"),
    ("LrsSyncFunction", "lrs-sync"),
];

const REGION: &str = "eu-west-1";
const BASE_URL: &str = "https://pok.example.org";
const ADMIN_EMAIL: &str = "ops@pok.example.org";
const LMS_URL: &str = "https://lms.example.org";
/// The course of most sample events.
const COURSE: &str = "course-v1:ORG+COURSE+RUN";

/// Where cargo put this run's binaries: the test binary is `<target>/<profile>/deps/it-…`.
fn bootstraps_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary lives in <target>/<profile>/deps")
        .to_path_buf();
    let newest_source = newest_source();
    for (logical, binary) in FUNCTIONS {
        let path = dir.join(binary);
        assert!(
            path.is_file(),
            "{} ({logical}'s bootstrap) is missing. The stack test runs the functions' debug \
             binaries that `cargo test --workspace` builds (infra/test); run it so, or name the \
             function packages beside pokeco-e2e with -p (see tests/tests/it/stack.rs)",
            path.display()
        );
        let built = std::fs::metadata(&path).and_then(|m| m.modified()).unwrap();
        if let Some((changed, source)) = &newest_source {
            assert!(
                built >= *changed,
                "{} is older than {}: this run did not build the functions (run the workspace's \
                 tests, or name the function packages with -p, see tests/tests/it/stack.rs)",
                path.display(),
                source.display()
            );
        }
    }
    dir
}

/// The most recently changed source file the bootstraps are built from.
fn newest_source() -> Option<(std::time::SystemTime, PathBuf)> {
    let root = repo_root();
    let mut newest: Option<(std::time::SystemTime, PathBuf)> = None;
    let mut folders: Vec<PathBuf> = ["core", "aws", "lambda", "lrs", "http"]
        .iter()
        .map(|c| root.join("shared").join(c).join("src"))
        .collect();
    folders.extend(
        ["oai-pmh", "admin", "ingest", "ecoapi", "lrs-sync"]
            .iter()
            .map(|f| root.join("functions").join(f).join("src")),
    );
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                folders.push(path);
            } else if let Ok(changed) = meta.modified() {
                if newest.as_ref().is_none_or(|(t, _)| changed > *t) {
                    newest = Some((changed, path));
                }
            }
        }
    }
    newest
}

fn moto_endpoint() -> String {
    match std::env::var("AWS_ENDPOINT_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "AWS_ENDPOINT_URL is not set: the stack test deploys on moto, which infra/test starts. \
             Run it through infra/test; it is never skipped."
        ),
    }
}

/// The emulator and dummy credentials, for every process this test starts: nothing reaches a
/// real AWS endpoint, and no developer's profile or credentials file is read.
fn aws_env(command: &mut Command, endpoint: &str) {
    for var in ["AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"] {
        command.env_remove(var);
    }
    command
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_REGION", REGION)
        .env("AWS_DEFAULT_REGION", REGION)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_PAGER", "");
}

/// Runs a command of the deploy to its end (on a blocking thread); panics with its output when
/// it fails. Returns its standard output.
async fn run(mut command: Command, what: &str) -> String {
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("the command's thread")
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{what} failed ({}):\n--- stdout ---\n{stdout}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The stack's names, this test's alone on a moto the other tests share.
struct Names {
    stack: String,
    bucket: String,
    /// Parameter of the template → the SSM parameter's name and the secret it holds.
    secrets: BTreeMap<&'static str, (String, String)>,
}

impl Names {
    fn new() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let id = format!("pokeco-stack-{}-{nanos}", std::process::id());
        let secret = |param: &'static str, leaf: &str| {
            (
                param,
                (
                    format!("/{id}/{leaf}"),
                    format!("{leaf}-{}-of-the-stack-test", id.replace('-', "")),
                ),
            )
        };
        Self {
            bucket: format!("{id}-code"),
            secrets: BTreeMap::from([
                secret("TokenSecretParameterName", "token-secret"),
                secret("AdminTokenParameterName", "admin-token"),
                secret("IngestTokenParameterName", "ingest-token"),
                secret("LrsPasswordParameterName", "lrs-password"),
                secret("EcoapiTokenParameterName", "ecoapi-token"),
            ]),
            stack: id,
        }
    }

    fn secret(&self, param: &str) -> &str {
        &self.secrets[param].1
    }

    fn parameter_name(&self, param: &str) -> &str {
        &self.secrets[param].0
    }
}

/// The template's parameters for this deploy.
fn overrides(names: &Names, lrs: &LrsPeer) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = [
        ("Architecture", "x86_64"),
        ("OaiPrefix", OAI_PREFIX),
        ("RepositoryName", "pok-eco stack test"),
        ("AdminEmail", ADMIN_EMAIL),
        ("BaseUrl", BASE_URL),
        ("LmsUrl", LMS_URL),
        ("EcoHomepage", HOMEPAGE),
        ("EcoapiAccess", "open"),
        ("LrsUrl", lrs.url.as_str()),
        ("LrsUsername", lrs.username.as_str()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    for (param, (name, _)) in &names.secrets {
        params.push(((*param).to_owned(), name.clone()));
    }
    params
}

/// Expands, prepares and deploys the template; answers what the stack created.
async fn deploy(names: &Names, lrs: &LrsPeer, work: &Path, endpoint: &str) -> Value {
    let python = venv().join("bin").join("python");
    let aws = venv().join("bin").join("aws");
    assert!(
        aws.is_file(),
        "{} is missing: infra/test installs awscli from infra/requirements.txt",
        aws.display()
    );
    let helper = work.join("stack_aws.py");
    std::fs::write(&helper, include_str!("../../src/stack_aws.py")).unwrap();

    let expanded = work.join("expanded.json");
    let mut sam2cfn = Command::new(&python);
    sam2cfn
        .arg(repo_root().join("infra/sam2cfn.py"))
        .arg(repo_root().join("template.yaml"))
        .arg(&expanded);
    aws_env(&mut sam2cfn, endpoint);
    run(sam2cfn, "infra/sam2cfn.py template.yaml").await;

    let secrets: BTreeMap<&str, &str> = names
        .secrets
        .values()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let params_file = work.join("secrets.json");
    std::fs::write(&params_file, serde_json::to_vec(&secrets).unwrap()).unwrap();
    let template = work.join("template.json");
    let mut prepare = Command::new(&python);
    prepare
        .arg(&helper)
        .arg("prepare")
        .arg(&expanded)
        .arg(&template)
        .arg(&names.bucket)
        .arg(&params_file);
    aws_env(&mut prepare, endpoint);
    run(prepare, "the bucket, the code and the SSM parameters").await;

    let mut deploy = Command::new(&aws);
    deploy
        .args(["cloudformation", "deploy", "--template-file"])
        .arg(&template)
        .args(["--stack-name", &names.stack])
        .args(["--capabilities", "CAPABILITY_IAM"])
        .arg("--parameter-overrides")
        .args(
            overrides(names, lrs)
                .iter()
                .map(|(k, v)| format!("{k}={v}")),
        );
    // Over 51 200 bytes the template must travel through S3.
    if std::fs::metadata(&template).unwrap().len() > 51_200 {
        deploy.args(["--s3-bucket", &names.bucket]);
    }
    aws_env(&mut deploy, endpoint);
    run(deploy, "aws cloudformation deploy").await;

    let mut describe = Command::new(&python);
    describe.arg(&helper).arg("describe").arg(&names.stack);
    aws_env(&mut describe, endpoint);
    let described = run(describe, "reading the stack back").await;
    serde_json::from_str(&described).unwrap_or_else(|e| panic!("{e}: {described}"))
}

/// A YAML value of template.yaml as a number (`Timeout: 29`).
fn yaml_u64(value: Option<&serde_yaml::Value>) -> Option<u64> {
    value.and_then(serde_yaml::Value::as_u64)
}

/// A function's memory and timeout as template.yaml gives them (its own, else Globals).
fn template_sizes(logical: &str) -> (u64, u64) {
    let text = std::fs::read_to_string(repo_root().join("template.yaml")).unwrap();
    let template: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let own = &template["Resources"][logical]["Properties"];
    let global = &template["Globals"]["Function"];
    let pick = |key: &str| {
        yaml_u64(own.get(key))
            .or_else(|| yaml_u64(global.get(key)))
            .unwrap_or_else(|| panic!("{logical} has no {key} in template.yaml"))
    };
    (pick("MemorySize"), pick("Timeout"))
}

/// The deployed configurations, checked against the stack's resources and this deploy's
/// parameters.
fn configurations(stack: &Value, names: &Names) -> BTreeMap<&'static str, FunctionConfig> {
    let table = stack["tables"]["CatalogTable"]["name"]
        .as_str()
        .unwrap_or_else(|| panic!("the stack created no CatalogTable: {stack}"));
    let queue = stack["queues"]["StatementsQueue"]["url"]
        .as_str()
        .unwrap_or_else(|| panic!("the stack created no StatementsQueue: {stack}"));
    assert_eq!(stack["outputs"]["TableName"], table, "output TableName");
    assert_eq!(stack["outputs"]["QueueUrl"], queue, "output QueueUrl");
    assert_eq!(
        stack["outputs"]["DeadLetterQueueUrl"], stack["queues"]["StatementsDeadLetterQueue"]["url"],
        "output DeadLetterQueueUrl"
    );

    let mut configs = BTreeMap::new();
    for (logical, _) in FUNCTIONS {
        let deployed = &stack["functions"][logical]["configuration"];
        assert!(
            deployed.is_object(),
            "the stack created no function {logical}: {}",
            stack["resources"]
        );
        let variables: BTreeMap<String, String> = deployed["Environment"]["Variables"]
            .as_object()
            .map(|vars| {
                vars.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let config = FunctionConfig {
            name: deployed["FunctionName"].as_str().unwrap().to_owned(),
            arn: deployed["FunctionArn"].as_str().unwrap().to_owned(),
            memory_mb: deployed["MemorySize"].as_u64().unwrap(),
            timeout_s: deployed["Timeout"].as_u64().unwrap(),
            variables,
        };
        assert_eq!(
            (config.memory_mb, config.timeout_s),
            template_sizes(logical),
            "{logical}: memory and timeout as deployed, against template.yaml"
        );
        assert_eq!(deployed["Handler"], "bootstrap", "{logical}");
        assert_eq!(deployed["Runtime"], "provided.al2023", "{logical}");
        assert_eq!(deployed["Architectures"], json!(["x86_64"]), "{logical}");
        // Each function's role is its own.
        assert_eq!(
            deployed["Role"],
            stack["roles"][format!("{logical}Role")]["arn"],
            "{logical}'s role"
        );
        // The names every function is given are the stack's.
        assert_eq!(
            config.variables.get("POKECO_TABLE").map(String::as_str),
            Some(table),
            "{logical}"
        );
        if logical != "OaiPmhFunction" {
            assert_eq!(
                config.variables.get("POKECO_QUEUE_URL").map(String::as_str),
                Some(queue),
                "{logical}"
            );
        }
        configs.insert(logical, config);
    }

    // The secrets' names, as created in SSM (the values are read by the functions).
    let param_vars = [
        (
            "OaiPmhFunction",
            "POKECO_TOKEN_SECRET_PARAM",
            "TokenSecretParameterName",
        ),
        (
            "AdminFunction",
            "POKECO_ADMIN_TOKEN_PARAM",
            "AdminTokenParameterName",
        ),
        (
            "IngestFunction",
            "POKECO_INGEST_TOKEN_PARAM",
            "IngestTokenParameterName",
        ),
        (
            "LrsSyncFunction",
            "POKECO_LRS_PASSWORD_PARAM",
            "LrsPasswordParameterName",
        ),
    ];
    for (logical, var, param) in param_vars {
        assert_eq!(
            configs[logical].variables.get(var).map(String::as_str),
            Some(names.parameter_name(param)),
            "{logical} {var}"
        );
    }
    // EcoapiAccess open: no token to read.
    assert_eq!(
        configs["EcoapiFunction"]
            .variables
            .get("POKECO_ECOAPI_ACCESS")
            .map(String::as_str),
        Some("open")
    );
    assert!(!configs["EcoapiFunction"]
        .variables
        .contains_key("POKECO_ECOAPI_TOKEN_PARAM"));
    configs
}

/// The queue, its dead letters and the schedule, as deployed, fit the functions.
fn check_wiring(stack: &Value, configs: &BTreeMap<&'static str, FunctionConfig>) {
    let queue = &stack["queues"]["StatementsQueue"]["attributes"];
    let dead = &stack["queues"]["StatementsDeadLetterQueue"]["attributes"];
    let redrive: Value = serde_json::from_str(queue["RedrivePolicy"].as_str().unwrap_or("null"))
        .unwrap_or(Value::Null);
    assert_eq!(
        redrive["deadLetterTargetArn"], dead["QueueArn"],
        "the queue's dead letters go to the stack's dead-letter queue: {queue}"
    );
    let visibility: u64 = queue["VisibilityTimeout"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let sync = &configs["LrsSyncFunction"];
    assert!(
        visibility > sync.timeout_s,
        "the queue's visibility timeout ({visibility} s) outlasts a sync run ({} s)",
        sync.timeout_s
    );
    for (logical, config) in configs {
        if *logical != "LrsSyncFunction" {
            // API Gateway gives up on an integration after 30 s.
            assert!(config.timeout_s < 30, "{logical}: {} s", config.timeout_s);
        }
    }

    assert_eq!(
        stack["functions"]["LrsSyncFunction"]["reserved_concurrency"], 1,
        "sync runs never overlap"
    );
    let rule = &stack["rules"]["LrsSyncFunctionSchedule"];
    assert_eq!(rule["schedule"], "rate(1 minute)", "{rule}");
    assert_eq!(
        rule["targets"],
        json!([sync.arn]),
        "the schedule invokes lrs-sync: {rule}"
    );
    let policy = &stack["functions"]["LrsSyncFunction"]["policy"];
    let statements = policy["Statement"].as_array().cloned().unwrap_or_default();
    assert!(
        statements.iter().any(|s| {
            s["Principal"]["Service"] == "events.amazonaws.com"
                && s["Action"] == "lambda:InvokeFunction"
                && s["Condition"]["ArnLike"]["AWS:SourceArn"] == rule["arn"]
        }),
        "EventBridge may invoke lrs-sync from the schedule's rule: {policy}"
    );
    for (logical, _) in FUNCTIONS.iter().filter(|(l, _)| *l != "LrsSyncFunction") {
        let policy = &stack["functions"][*logical]["policy"];
        let statements = policy["Statement"].as_array().cloned().unwrap_or_default();
        assert!(
            statements
                .iter()
                .any(|s| s["Principal"]["Service"] == "apigateway.amazonaws.com"),
            "API Gateway may invoke {logical}: {policy}"
        );
    }
    for (logical, _) in FUNCTIONS {
        let trust = &stack["roles"][format!("{logical}Role")]["trust"];
        assert!(
            trust.to_string().contains("lambda.amazonaws.com"),
            "{logical}'s role is for Lambda: {trust}"
        );
    }
}

// --- Events as Lambda receives them ------------------------------------------------------------

/// An HTTP API (payload 2.0) event for the route `route_key`, with `query` as `rawQueryString`
/// (which lambda_http reads, not `queryStringParameters`).
fn http_event(
    method: &str,
    path: &str,
    query: &str,
    route_key: &str,
    headers: Value,
    body: Option<&str>,
) -> Vec<u8> {
    let mut event: Value = serde_json::from_str(&pokeco_testkit::lambda::v2_event(
        method, path, query, headers, body,
    ))
    .unwrap();
    event["routeKey"] = json!(route_key);
    event["requestContext"]["routeKey"] = json!(route_key);
    if let Some(prefix) = route_key
        .split_once(' ')
        .and_then(|(_, p)| p.strip_suffix("{proxy+}"))
    {
        let proxy = path.strip_prefix(prefix).unwrap_or_default();
        event["pathParameters"] = json!({ "proxy": proxy });
    }
    event.to_string().into_bytes()
}

/// An EventBridge scheduled event from `rule_arn`.
fn scheduled_event(rule_arn: &str) -> Vec<u8> {
    json!({
        "version": "0",
        "id": "89d1a02d-5ec7-412e-82f5-13505f849b41",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-11-30T15:00:00Z",
        "region": REGION,
        "resources": [rule_arn],
        "detail": {}
    })
    .to_string()
    .into_bytes()
}

/// The status and body of an HTTP function's answer (lambda_http's payload 2.0 response).
fn http_answer(function: &str, outcome: Outcome) -> (u16, String) {
    let body = match outcome {
        Outcome::Response(body) => body,
        Outcome::Error { kind, body } => panic!(
            "{function} answered an invocation error {kind}: {}",
            String::from_utf8_lossy(&body)
        ),
    };
    let answer: Value = serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("{function}: {e}: {}", String::from_utf8_lossy(&body)));
    let status = answer["statusCode"].as_u64().unwrap_or(0) as u16;
    let text = answer["body"].as_str().unwrap_or_default();
    let text = if answer["isBase64Encoded"] == true {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .unwrap();
        String::from_utf8_lossy(&bytes).into_owned()
    } else {
        text.to_owned()
    };
    (status, text)
}

async fn call(
    function: &LocalLambda,
    method: &str,
    path: &str,
    query: &str,
    route_key: &str,
    headers: Value,
    body: Option<&str>,
) -> (u16, String) {
    let event = http_event(method, path, query, route_key, headers, body);
    http_answer(&function.config().name, function.invoke(&event).await)
}

// --- The learners of this test ------------------------------------------------------------------

/// The sample events, and learner "1" enrolling again in the course after the samples'
/// unenrollment: so the course is on that learner's list in the ECO API.
fn events() -> Vec<Value> {
    let mut events = legacy_events();
    let enroll = events
        .iter()
        .find(|e| {
            e["event_type"] == "edx.course.enrollment.activated"
                && e["context"]["course_id"] == COURSE
        })
        .cloned()
        .expect("the samples enroll a learner in the course");
    let mut again = enroll;
    again["time"] = json!("2016-12-02T08:00:00.000000+00:00");
    events.push(again);
    events
}

fn course_document() -> String {
    json!({
        "course_id": COURSE,
        "title": {"en": "The stack test's course"},
        "description": {"en": "Written through the deployed admin function."},
        "languages": ["en"],
        "url": format!("{LMS_URL}/courses/{COURSE}/about"),
        "organizers": ["Politecnico di Milano"],
        "interest_area": "ECO:TS",
        "start": "2024-09-16T00:00:00Z",
        "end": "2024-11-30T23:59:59Z"
    })
    .to_string()
}

// --- What each function's role allows ----------------------------------------------------------

/// IAM's wildcards: `*` any run, `?` one character.
fn glob(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('*', rest)) => (0..=t.len()).any(|i| go(rest, &t[i..])),
            Some(('?', rest)) => !t.is_empty() && go(rest, &t[1..]),
            Some((c, rest)) => t.first() == Some(c) && go(rest, &t[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    go(&p, &t)
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// One authorization a call needs: `dynamodb:Query` on a table or index ARN, with the
/// partition keys it touches (the `dynamodb:LeadingKeys` condition key).
#[derive(Debug)]
struct Need {
    action: String,
    resource: String,
    leading_keys: Vec<String>,
}

/// Whether `statement` allows `need`. Conditions on `dynamodb:LeadingKeys` are evaluated
/// (ForAllValues: every key a call touches must match); other condition keys (`kms:ViaService`)
/// hold for calls the functions make through SSM.
fn allows(statement: &Value, need: &Need) -> bool {
    if statement["Effect"] != "Allow" {
        return false;
    }
    let action_ok = strings(&statement["Action"])
        .iter()
        .any(|a| glob(&a.to_ascii_lowercase(), &need.action.to_ascii_lowercase()));
    let resource_ok = strings(&statement["Resource"])
        .iter()
        .any(|r| glob(r, &need.resource));
    if !action_ok || !resource_ok {
        return false;
    }
    let Some(conditions) = statement["Condition"].as_object() else {
        return true;
    };
    conditions.iter().all(|(operator, keys)| {
        let Some(values) = keys.get("dynamodb:LeadingKeys") else {
            return true;
        };
        let allowed = strings(values);
        let matches = |key: &String| match operator.as_str() {
            "ForAllValues:StringEquals" => allowed.contains(key),
            "ForAllValues:StringLike" => allowed.iter().any(|p| glob(p, key)),
            other => panic!("a LeadingKeys condition with {other}: teach the stack test it"),
        };
        need.leading_keys.iter().all(matches)
    })
}

struct Arns {
    account: String,
}

impl Arns {
    fn table(&self, name: &str) -> String {
        format!("arn:aws:dynamodb:{REGION}:{}:table/{name}", self.account)
    }
    fn queue(&self, url_or_name: &str) -> String {
        let name = url_or_name.rsplit('/').next().unwrap_or(url_or_name);
        format!("arn:aws:sqs:{REGION}:{}:{name}", self.account)
    }
    fn parameter(&self, name: &str) -> String {
        format!("arn:aws:ssm:{REGION}:{}:parameter{name}", self.account)
    }
}

fn attr_s(item: &Value, name: &str) -> Option<String> {
    item[name]["S"].as_str().map(str::to_owned)
}

/// The partition key value a Query names in its key condition (`pk = :v`, names resolved).
fn query_partition(body: &Value) -> Option<String> {
    let condition = body["KeyConditionExpression"].as_str()?;
    let key = if body["IndexName"].is_string() {
        "gsi1pk"
    } else {
        "pk"
    };
    for part in condition.split(" AND ").chain(condition.split(" and ")) {
        let Some((name, value)) = part.split_once('=') else {
            continue;
        };
        let name = name.trim().trim_start_matches('(');
        let name = body["ExpressionAttributeNames"][name]
            .as_str()
            .unwrap_or(name);
        if name == key {
            let value = value.trim().trim_end_matches(')');
            return attr_s(&body["ExpressionAttributeValues"], value);
        }
    }
    None
}

/// What `call` needs to be allowed.
fn needs(call: &Call, arns: &Arns) -> Vec<Need> {
    let body = &call.body;
    let need = |action: &str, resource: String, leading_keys: Vec<String>| Need {
        action: format!("{}:{action}", call.service),
        resource,
        leading_keys,
    };
    let table_or_index = |body: &Value| {
        let table = arns.table(body["TableName"].as_str().unwrap_or("?"));
        match body["IndexName"].as_str() {
            Some(index) => format!("{table}/index/{index}"),
            None => table,
        }
    };
    match (call.service.as_str(), call.action.as_str()) {
        ("dynamodb", "GetItem" | "UpdateItem" | "DeleteItem") => vec![need(
            &call.action,
            table_or_index(body),
            attr_s(&body["Key"], "pk").into_iter().collect(),
        )],
        ("dynamodb", "PutItem") => vec![need(
            "PutItem",
            table_or_index(body),
            attr_s(&body["Item"], "pk").into_iter().collect(),
        )],
        ("dynamodb", "Query") => vec![need(
            "Query",
            table_or_index(body),
            query_partition(body).into_iter().collect(),
        )],
        ("dynamodb", "BatchGetItem") => body["RequestItems"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(table, request)| {
                let keys = request["Keys"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|k| attr_s(k, "pk"))
                    .collect();
                need("BatchGetItem", arns.table(table), keys)
            })
            .collect(),
        ("dynamodb", "BatchWriteItem") => body["RequestItems"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(table, writes)| {
                let keys = writes
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|w| {
                        attr_s(&w["PutRequest"]["Item"], "pk")
                            .or_else(|| attr_s(&w["DeleteRequest"]["Key"], "pk"))
                    })
                    .collect();
                need("BatchWriteItem", arns.table(table), keys)
            })
            .collect(),
        ("dynamodb", "TransactWriteItems" | "TransactGetItems") => body["TransactItems"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| item.as_object()?.iter().next())
            .map(|(kind, op)| {
                let action = match kind.as_str() {
                    "Put" => "PutItem",
                    "Update" => "UpdateItem",
                    "Delete" => "DeleteItem",
                    "ConditionCheck" => "ConditionCheckItem",
                    _ => "GetItem",
                };
                let key = attr_s(&op["Key"], "pk").or_else(|| attr_s(&op["Item"], "pk"));
                need(action, table_or_index(op), key.into_iter().collect())
            })
            .collect(),
        ("dynamodb", action) => vec![need(action, table_or_index(body), Vec::new())],
        ("sqs", action) => {
            // A batch is authorized as its single action.
            let action = action.strip_suffix("Batch").unwrap_or(action);
            let queue = body["QueueUrl"]
                .as_str()
                .or_else(|| body["QueueName"].as_str())
                .unwrap_or("?");
            vec![need(action, arns.queue(queue), Vec::new())]
        }
        ("ssm", action) => {
            let mut names = strings(&body["Names"]);
            names.extend(strings(&body["Name"]));
            let mut out: Vec<Need> = names
                .iter()
                .map(|n| need(action, arns.parameter(n), Vec::new()))
                .collect();
            if body["WithDecryption"] == true {
                out.push(Need {
                    action: "kms:Decrypt".to_owned(),
                    resource: format!(
                        "arn:aws:kms:{REGION}:{}:key/00000000-0000-4000-8000-000000000001",
                        arns.account
                    ),
                    leading_keys: Vec::new(),
                });
            }
            out
        }
        (service, action) => vec![need(action, format!("{service}:?"), Vec::new())],
    }
}

/// Every call `function` made is allowed by its role's inline policies.
fn check_grants(logical: &str, calls: &[Call], stack: &Value, arns: &Arns) {
    let role = &stack["roles"][format!("{logical}Role")];
    let statements: Vec<Value> = role["inline"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| match &p["document"]["Statement"] {
            Value::Array(s) => s.clone(),
            single => vec![single.clone()],
        })
        .collect();
    assert!(!calls.is_empty(), "{logical} made no AWS call");
    let mut refused = Vec::new();
    for call in calls {
        for need in needs(call, arns) {
            if !statements.iter().any(|s| allows(s, &need)) {
                refused.push(format!(
                    "{} on {} (keys {:?})",
                    need.action, need.resource, need.leading_keys
                ));
            }
        }
    }
    let refused: BTreeSet<String> = refused.into_iter().collect();
    assert!(
        refused.is_empty(),
        "{logical}'s role does not allow calls its code makes:\n  {}\nits policies: {}",
        refused.into_iter().collect::<Vec<_>>().join("\n  "),
        serde_json::to_string_pretty(&role["inline"]).unwrap()
    );
}

// --- The test ------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deployed_stack_runs_the_real_bootstraps() {
    let started = Instant::now();
    let bootstraps = bootstraps_dir();
    let endpoint = moto_endpoint();
    let lrs = LrsPeer::strict();
    let names = Names::new();
    let work = tempfile::Builder::new()
        .prefix("pokeco-stack-")
        .tempdir()
        .unwrap();

    let stack = deploy(&names, &lrs, work.path(), &endpoint).await;
    let deployed = started.elapsed();
    let configs = configurations(&stack, &names);
    check_wiring(&stack, &configs);
    let account = configs["AdminFunction"]
        .arn
        .split(':')
        .nth(4)
        .unwrap()
        .to_owned();
    let arns = Arns { account };

    // Each bootstrap under its own Runtime API, its AWS calls through its own recorder.
    let mut recorders = BTreeMap::new();
    let mut functions = BTreeMap::new();
    for (logical, binary) in FUNCTIONS {
        let recorder = AwsRecorder::start(&endpoint).await;
        let target = AwsTarget {
            endpoint: recorder.url(),
            region: REGION.to_owned(),
            access_key_id: "testing".to_owned(),
            secret_access_key: "testing".to_owned(),
        };
        let log = work.path().join(format!("{binary}.log"));
        let function = LocalLambda::start(
            &bootstraps.join(binary),
            configs[logical].clone(),
            &target,
            log,
        )
        .await;
        recorders.insert(logical, recorder);
        functions.insert(logical, function);
    }
    let admin = &functions["AdminFunction"];
    let oai = &functions["OaiPmhFunction"];
    let ingest = &functions["IngestFunction"];
    let ecoapi = &functions["EcoapiFunction"];
    let sync = &functions["LrsSyncFunction"];
    let admin_token = format!("Bearer {}", names.secret("AdminTokenParameterName"));
    let ingest_token = format!("Bearer {}", names.secret("IngestTokenParameterName"));
    let learners = Learners::seeded(&names.stack);

    // The readiness view of a stack just deployed: an empty table, no sync run yet.
    let (status, body) = call(
        ecoapi,
        "GET",
        "/ecoapi/heartbeat",
        "ready=1",
        "GET /ecoapi/{proxy+}",
        json!({}),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let ready: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(ready["ready"]["store"]["ok"], true, "{ready}");
    assert_eq!(ready["ready"]["queue"]["ok"], true, "{ready}");

    // The admin function: its token is the SSM parameter's value, and nothing else.
    let route = "ANY /admin/{proxy+}";
    let (status, body) = call(
        admin,
        "GET",
        "/admin/courses",
        "",
        route,
        json!({"authorization": "Bearer not-the-token-in-ssm"}),
        None,
    )
    .await;
    assert_eq!(status, 401, "{body}");
    let path = format!("/admin/courses/{COURSE}");
    let course = course_document();
    let headers = json!({"authorization": admin_token, "content-type": "application/json"});
    let (status, body) = call(
        admin,
        "PUT",
        &path,
        "",
        route,
        headers.clone(),
        Some(&course),
    )
    .await;
    assert!(
        status == 200 || status == 201,
        "PUT {path}: {status} {body}"
    );
    let written_at = Instant::now();
    let written: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        written["oai_identifier"],
        format!("{OAI_PREFIX}{COURSE}"),
        "{body}"
    );
    let (status, body) = call(
        admin,
        "PUT",
        "/admin/tracked-courses/*",
        "",
        route,
        headers.clone(),
        None,
    )
    .await;
    assert!(
        (200..300).contains(&status),
        "tracking every course: {status} {body}"
    );
    let csv_headers = json!({"authorization": admin_token, "content-type": "text/csv"});
    let csv = learners.csv();
    let (status, body) = call(
        admin,
        "POST",
        "/admin/links/import",
        "",
        route,
        csv_headers,
        Some(&csv),
    )
    .await;
    assert_eq!(status, 200, "links: {body}");

    // A harvest through the OAI function: Identify names this deploy's parameters, and the
    // course the admin function wrote is a record.
    let (status, body) = call(
        oai,
        "GET",
        "/oai",
        "verb=Identify",
        "GET /oai",
        json!({}),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    for part in [
        "<repositoryName>pok-eco stack test</repositoryName>",
        &format!("<baseURL>{BASE_URL}/oai</baseURL>"),
        &format!("<adminEmail>{ADMIN_EMAIL}</adminEmail>"),
    ] {
        assert!(body.contains(part), "Identify lacks {part}: {body}");
    }
    // `+` in a query is a space: the identifier's is sent as %2B, as clients do.
    let identifier = format!("{OAI_PREFIX}{COURSE}").replace('+', "%2B");
    let record = format!("verb=GetRecord&metadataPrefix=oai_lom&identifier={identifier}");
    let (status, body) = call(oai, "GET", "/oai", &record, "GET /oai", json!({}), None).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("The stack test"), "GetRecord: {body}");

    // An ingest with the ingest token from SSM.
    let log: String = events().iter().map(|e| format!("{e}\n")).collect();
    let (status, _) = call(
        ingest,
        "POST",
        "/events",
        "",
        "POST /events",
        json!({"authorization": admin_token, "content-type": "application/x-ndjson"}),
        Some(&log),
    )
    .await;
    assert_eq!(status, 401, "the admin token is not the ingest token");
    let (status, body) = call(
        ingest,
        "POST",
        "/events",
        "",
        "POST /events",
        json!({"authorization": ingest_token, "content-type": "application/x-ndjson"}),
        Some(&log),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let report: Value = serde_json::from_str(&body).unwrap();
    let want = learners
        .expected(&events())
        .into_keys()
        .collect::<BTreeSet<String>>();
    assert!(!want.is_empty());
    assert_eq!(report["enqueued"], want.len(), "{report}");

    // A scheduled sync into the strict LRS.
    let rule = stack["rules"]["LrsSyncFunctionSchedule"]["arn"]
        .as_str()
        .unwrap()
        .to_owned();
    let run = match sync.invoke(&scheduled_event(&rule)).await {
        Outcome::Response(body) => serde_json::from_slice::<Value>(&body).unwrap(),
        Outcome::Error { kind, body } => panic!(
            "lrs-sync failed ({kind}): {}\n{}",
            String::from_utf8_lossy(&body),
            sync.log()
        ),
    };
    assert_eq!(run["delivered"], want.len(), "{run}");
    assert_eq!(run["refused"], 0, "{run}");
    assert_eq!(run["stopped"], Value::Null, "{run}");
    let mut held = BTreeSet::new();
    for (_, sub) in &learners.links {
        let account = json!({"homePage": format!("{HOMEPAGE}?user={sub}"), "name": sub});
        let agent = json!({"objectType": "Agent", "account": account});
        for statement in lrs.of_agent(&agent).await {
            let id = statement["id"].as_str().unwrap().to_owned();
            assert!(held.insert(id.clone()), "{id} held twice");
        }
    }
    assert_eq!(
        held, want,
        "the LRS holds exactly the statements of the samples"
    );

    // The ecoapi function reads the progress ingest wrote and the sync's record.
    let route = "GET /ecoapi/{proxy+}";
    let (status, body) = call(
        ecoapi,
        "GET",
        "/ecoapi/heartbeat",
        "ready=1",
        route,
        json!({}),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let ready: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(ready["ready"]["store"]["ok"], true, "{ready}");
    let queue = &ready["ready"]["queue"];
    assert_eq!(queue["ok"], true, "the queue's depth is readable: {ready}");
    assert_eq!(queue["waiting"], 0, "{ready}");
    assert_eq!(queue["last_sync"]["delivered"], want.len(), "{ready}");
    let (_, sub) = &learners.links[1];
    let path = format!("/ecoapi/users/{sub}/courses");
    let (status, body) = call(ecoapi, "GET", &path, "", route, json!({}), None).await;
    assert_eq!(status, 200, "{body}");
    let courses: Value = serde_json::from_str(&body).unwrap();
    let ids: Vec<&str> = courses
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert!(ids.contains(&COURSE), "{path}: {body}");

    // The admin function sees the queue drained and the run recorded.
    let (status, body) = call(
        admin,
        "GET",
        "/admin/delivery",
        "",
        "ANY /admin/{proxy+}",
        json!({"authorization": admin_token}),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let delivery: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(delivery["queued_messages"], 0, "{delivery}");
    assert_eq!(delivery["failed_statements"], 0, "{delivery}");

    // The harvest: a list shows a DynamoDB write once the store's list lag (5 s) has passed.
    let lag = Duration::from_secs(6).saturating_sub(written_at.elapsed());
    tokio::time::sleep(lag).await;
    let (status, body) = call(
        oai,
        "GET",
        "/oai",
        "verb=ListRecords&metadataPrefix=oai_lom",
        "GET /oai",
        json!({}),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(&format!("<identifier>{OAI_PREFIX}{COURSE}</identifier>"))
            && (body.contains("The stack test&apos;s course")
                || body.contains("The stack test's course")),
        "ListRecords lacks the course written through admin: {body}"
    );
    let form = "verb=ListRecords&metadataPrefix=oai_dc";
    let (status, body) = call(
        oai,
        "POST",
        "/oai",
        "",
        "POST /oai",
        json!({"content-type": "application/x-www-form-urlencoded"}),
        Some(form),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(&format!("{OAI_PREFIX}{COURSE}")), "{body}");

    // Every AWS call each function made, against its role.
    for (logical, recorder) in &recorders {
        check_grants(logical, &recorder.calls(), &stack, &arns);
    }
    drop(functions);
    eprintln!(
        "stack test: deployed in {deployed:?}, everything in {:?}",
        started.elapsed()
    );
}
