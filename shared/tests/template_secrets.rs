//! No function in template.yaml gets a secret in its environment, where
//! anyone allowed `lambda:GetFunctionConfiguration` reads it: no variable is
//! a `NoEcho` parameter (`!Ref`, or `${…}` in a `!Sub`), a dynamic reference
//! (`{{resolve:…}}`, resolved into the plain configuration), or a secret
//! setting itself (a name the secret store holds, or one that says it is a
//! secret, token, password or key). The secrets come from the stack's
//! Secrets Manager secret, named by `SECRETS_ID`.

use serde_yaml::Value;
use shared::aws::secrets::Key;

/// Where `doc` puts a secret in a function's environment, one line each.
fn violations(doc: &Value) -> Vec<String> {
    let no_echo: Vec<&str> = doc["Parameters"]
        .as_mapping()
        .into_iter()
        .flatten()
        .filter(|(_, p)| {
            p["NoEcho"].as_bool() == Some(true) || p["NoEcho"].as_str() == Some("true")
        })
        .filter_map(|(name, _)| name.as_str())
        .collect();
    let mut environments = vec![(
        "Globals".to_owned(),
        &doc["Globals"]["Function"]["Environment"]["Variables"],
    )];
    for (name, resource) in doc["Resources"].as_mapping().into_iter().flatten() {
        if matches!(
            resource["Type"].as_str(),
            Some("AWS::Serverless::Function" | "AWS::Lambda::Function")
        ) {
            environments.push((
                name.as_str().unwrap_or("?").to_owned(),
                &resource["Properties"]["Environment"]["Variables"],
            ));
        }
    }
    let mut found = Vec::new();
    for (function, variables) in environments {
        for (name, value) in variables.as_mapping().into_iter().flatten() {
            let name = name.as_str().unwrap_or("?");
            if is_secret_name(name) {
                found.push(format!("{function}: {name} is a secret setting"));
            }
            for why in secret_values(value, &no_echo) {
                found.push(format!("{function}: {name} {why}"));
            }
        }
    }
    found
}

/// A variable the secret store holds, or one named as a secret.
fn is_secret_name(name: &str) -> bool {
    if Key::ALL.iter().any(|k| k.env() == name) {
        return true;
    }
    let upper = name.to_ascii_uppercase();
    upper != "SECRETS_ID"
        && ["SECRET", "TOKEN", "PASSWORD", "_KEY"]
            .iter()
            .any(|word| upper.contains(word))
}

/// What in `value` (any depth of intrinsic functions) is a secret.
fn secret_values(value: &Value, no_echo: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    match value {
        Value::String(s) if s.contains("{{resolve:") => {
            found.push("holds a dynamic reference".to_owned());
        }
        Value::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let tag = tag.trim_start_matches('!');
            match (tag, &tagged.value) {
                ("Ref", Value::String(p)) if no_echo.contains(&p.as_str()) => {
                    found.push(format!("is the NoEcho parameter {p}"));
                }
                ("Sub", sub) => {
                    let template = match sub {
                        Value::Sequence(s) => s.first().and_then(Value::as_str),
                        other => other.as_str(),
                    }
                    .unwrap_or_default();
                    for p in no_echo {
                        if template.contains(&format!("${{{p}}}")) {
                            found.push(format!("substitutes the NoEcho parameter {p}"));
                        }
                    }
                }
                _ => {}
            }
            found.extend(secret_values(&tagged.value, no_echo));
        }
        Value::Sequence(items) => {
            for item in items {
                found.extend(secret_values(item, no_echo));
            }
        }
        Value::Mapping(m) => {
            for (k, v) in m {
                if k.as_str() == Some("Ref") {
                    if let Some(p) = v.as_str().filter(|p| no_echo.contains(p)) {
                        found.push(format!("is the NoEcho parameter {p}"));
                    }
                }
                found.extend(secret_values(v, no_echo));
            }
        }
        _ => {}
    }
    found
}

fn parse(text: &str) -> Value {
    serde_yaml::from_str(text).expect("YAML")
}

#[test]
fn no_function_in_the_template_has_a_secret_in_its_environment() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
    let doc = parse(&std::fs::read_to_string(path).expect("template.yaml"));
    let found = violations(&doc);
    assert!(
        found.is_empty(),
        "secrets in environments:\n{}",
        found.join("\n")
    );
}

#[test]
fn each_way_of_putting_a_secret_in_an_environment_is_found() {
    let doc = parse(
        r#"
Parameters:
  Hidden: {Type: String, NoEcho: true}
  Shown: {Type: String}
Globals:
  Function:
    Environment:
      Variables:
        RUST_LOG: info
        FROM_GLOBALS: !Ref Hidden
Resources:
  Fine:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          SECRETS_ID: !Sub streamer-events/${AWS::StackName}
          TWITCH_CLIENT_ID: !Ref Shown
  Leaky:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          A: !Ref Hidden
          B: !Sub "prefix-${Hidden}"
          C: "{{resolve:secretsmanager:streamer-events/x:SecretString:admin_token}}"
          D: !Join ["", ["{{resolve:ssm-secure:/x}}"]]
          E: {Ref: Hidden}
          ADMIN_TOKEN: literal
          API_PASSWORD: literal
  Other:
    Type: AWS::DynamoDB::Table
    Properties:
      Environment:
        Variables:
          NOT_A_FUNCTION: !Ref Hidden
"#,
    );
    let found = violations(&doc);
    assert_eq!(
        found,
        [
            "Globals: FROM_GLOBALS is the NoEcho parameter Hidden",
            "Leaky: A is the NoEcho parameter Hidden",
            "Leaky: B substitutes the NoEcho parameter Hidden",
            "Leaky: C holds a dynamic reference",
            "Leaky: D holds a dynamic reference",
            "Leaky: E is the NoEcho parameter Hidden",
            "Leaky: ADMIN_TOKEN is a secret setting",
            "Leaky: API_PASSWORD is a secret setting",
        ]
    );
}
