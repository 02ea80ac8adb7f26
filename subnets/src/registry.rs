//! The one list of subnets. `subnets!` turns one line per subnet into everything that has
//! to name every subnet:
//!
//! - the `pub use` of the subnet's type;
//! - the wire enums [`Input`](crate::Input) and [`Output`](crate::Output), and their
//!   `Deserialize`, which tells the subnets apart by key ([`deserialize_by_key`]);
//! - `Prepared`, what [`Subnet::prepare`](crate::Subnet::prepare) made of an input, inside
//!   [`PreparedInput`](crate::PreparedInput);
//! - `subnet()` on all three, and the [`Variant`](crate::Variant) impls that let the generic
//!   [`Engine`](crate::engine) move typed values in and out of them;
//! - [`SUBNETS`](crate::SUBNETS) and [`load`](crate::load).
//!
//! Adding a subnet is a module that implements [`Subnet`](crate::Subnet) and has a
//! `pub const NAME: &str` (its on-chain name) and a
//! `pub fn load(&EngineConfig) -> Result<Self, SubnetError>`, declared in `lib.rs` with
//! `pub mod` (not by the macro: `cargo fmt` does not follow a `mod` inside a macro call),
//! plus its line in the registry there:
//!
//! ```text
//! Digits(digits::Digits) { input_key: "pixels", output_key: "label" },
//! ```
//!
//! The keys are how a JSON value is told apart from the other subnets' values without a tag:
//! an object with `"pixels"` is a digits input. A key must be a field the subnet's value
//! always has (this module's tests check each subnet's challenge), and no two subnets may
//! share one (checked at compile time, as are the names).

use serde::{de::Error as _, Deserialize, Deserializer};
use serde_json::Value;

/// Builds one variant of the enum `E` from a JSON value.
pub(crate) type FromValue<E> = fn(Value) -> Result<E, serde_json::Error>;

// Deserialized by the key that tells the variants apart, through `serde_json::Value`, not
// `#[serde(untagged)]`: serde's untagged buffering cannot hold numbers when another crate in
// the build enables serde_json's `arbitrary_precision`, and then every output fails to parse.
/// Deserializes the variant of `E` whose key (the first of `variants`, in registry order)
/// the JSON object has; `what` ("an input") names `E` in the errors.
pub(crate) fn deserialize_by_key<'de, D, E>(
    deserializer: D,
    what: &str,
    variants: &[(&str, FromValue<E>)],
) -> Result<E, D::Error>
where
    D: Deserializer<'de>,
{
    let value = Value::deserialize(deserializer)?;
    let object = value
        .as_object()
        .ok_or_else(|| D::Error::custom(format_args!("{what} is a JSON object")))?;
    match variants.iter().find(|(key, _)| object.contains_key(*key)) {
        Some((_, from_value)) => from_value(value).map_err(D::Error::custom),
        None => {
            let keys: Vec<&str> = variants.iter().map(|(key, _)| *key).collect();
            Err(D::Error::custom(format_args!(
                "{what} has {}",
                one_of(&keys)
            )))
        }
    }
}

/// "`a`", "`a` or `b`", "`a`, `b` or `c`".
fn one_of(keys: &[&str]) -> String {
    match keys.split_last() {
        None => String::new(),
        Some((last, [])) => format!("`{last}`"),
        Some((last, rest)) => {
            let rest: Vec<String> = rest.iter().map(|key| format!("`{key}`")).collect();
            format!("{} or `{last}`", rest.join(", "))
        }
    }
}

/// Whether no two of `words` are equal. `const`, so the registry's names and keys are checked
/// when the crate compiles.
pub(crate) const fn distinct(words: &[&str]) -> bool {
    match words.split_first() {
        None => true,
        Some((first, rest)) => !contains(rest, first) && distinct(rest),
    }
}

const fn contains(words: &[&str], word: &str) -> bool {
    match words.split_first() {
        None => false,
        Some((first, rest)) => same(first.as_bytes(), word.as_bytes()) || contains(rest, word),
    }
}

const fn same(a: &[u8], b: &[u8]) -> bool {
    match (a.split_first(), b.split_first()) {
        (None, None) => true,
        (Some((x, a)), Some((y, b))) => *x == *y && same(a, b),
        _ => false,
    }
}

/// `impl Variant<$enum> for $ty`: `$ty` is the payload of `$enum::$variant`.
macro_rules! variant {
    ($enum:ident :: $variant:ident ($ty:ty)) => {
        impl $crate::Variant<$enum> for $ty {
            fn wrap(self) -> $enum {
                $enum::$variant(self)
            }
            fn peek(e: &$enum) -> Option<&Self> {
                match e {
                    $enum::$variant(v) => Some(v),
                    #[allow(unreachable_patterns)]
                    _ => None,
                }
            }
            fn unwrap(e: $enum) -> Result<Self, $enum> {
                match e {
                    $enum::$variant(v) => Ok(v),
                    #[allow(unreachable_patterns)]
                    other => Err(other),
                }
            }
        }
    };
}

/// `$enum::subnet()`: the on-chain name of the subnet a value belongs to.
macro_rules! subnet_of {
    ($vis:vis $enum:ident, $what:literal, $($variant:ident => $module:ident),+) => {
        impl $enum {
            #[doc = concat!("The subnet this ", $what, " belongs to.")]
            $vis fn subnet(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => $module::NAME,)+
                }
            }
        }
    };
}

/// The registry: one line per subnet, `Variant(module::Type) { input_key, output_key }`.
/// Invoked once, in `lib.rs`; see the module docs for what it generates.
macro_rules! subnets {
    ($(
        $variant:ident($module:ident :: $subnet:ident) {
            input_key: $input_key:literal,
            output_key: $output_key:literal $(,)?
        }
    ),+ $(,)?) => {
        pub use crate::{$($module::$subnet),+};

        /// The subnets this crate implements, by on-chain name.
        pub const SUBNETS: [&str; [$(stringify!($variant)),+].len()] = [$($module::NAME),+];

        const _: () = assert!($crate::registry::distinct(&SUBNETS), "two subnets have one name");
        const _: () = assert!(
            $crate::registry::distinct(&[$($input_key),+]),
            "two subnets have one input_key: their inputs could not be told apart",
        );
        const _: () = assert!(
            $crate::registry::distinct(&[$($output_key),+]),
            "two subnets have one output_key: their outputs could not be told apart",
        );

        /// Each subnet's name with the keys its inputs and outputs are told apart by.
        #[cfg(test)]
        const REGISTRY: [(&str, &str, &str); SUBNETS.len()] =
            [$(($module::NAME, $input_key, $output_key)),+];

        /// Loads the subnet named `name` (its on-chain name) and returns it behind a trait
        /// object. The model's digest is checked against `config.expected_digest`, else
        /// against the digest this crate pins.
        pub fn load(
            name: &str,
            config: &EngineConfig,
        ) -> Result<std::sync::Arc<dyn SubnetEngine>, SubnetError> {
            match name {
                $($module::NAME => Ok(std::sync::Arc::new(
                    $crate::engine::Engine($module::$subnet::load(config)?),
                )),)+
                _ => Err(SubnetError::UnknownSubnet {
                    name: name.to_owned(),
                    known: SUBNETS.join(", "),
                }),
            }
        }

        /// An input of any subnet. Serializes to the subnet's wire format (untagged): see
        /// each subnet's [`Subnet::Input`]. Deserializing tells the subnets apart by key and
        /// does not validate; decode request bytes with [`SubnetEngine::decode_input`],
        /// which does.
        #[derive(Clone, Debug, PartialEq, serde::Serialize)]
        #[serde(untagged)]
        #[non_exhaustive]
        pub enum Input {
            $(
                #[doc = concat!(
                    "`{\"", $input_key, "\": …}`: an input of [`", stringify!($subnet), "`]."
                )]
                $variant(<$module::$subnet as Subnet>::Input),
            )+
        }

        /// An output of any subnet, serialized in the subnet's wire format (untagged): see
        /// each subnet's [`Subnet::Output`]. Decode response bytes with
        /// [`SubnetEngine::decode_output`], which validates.
        #[derive(Clone, Debug, PartialEq, serde::Serialize)]
        #[serde(untagged)]
        #[non_exhaustive]
        pub enum Output {
            $(
                #[doc = concat!(
                    "`{\"", $output_key, "\": …}`: an output of [`", stringify!($subnet), "`]."
                )]
                $variant(<$module::$subnet as Subnet>::Output),
            )+
        }

        /// What [`Subnet::prepare`] made of an input of any subnet: the inside of
        /// [`PreparedInput`].
        #[allow(
            clippy::large_enum_variant,
            reason = "built once per request and moved once, into its batch: a box would \
                      cost an allocation per request to save a few hundred bytes while it waits"
        )]
        pub(crate) enum Prepared {
            $($variant(<$module::$subnet as Subnet>::Prepared),)+
        }

        impl<'de> serde::Deserialize<'de> for Input {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::registry::deserialize_by_key(deserializer, "an input", &[$((
                    $input_key,
                    |value| serde_json::from_value(value).map(Self::$variant),
                )),+])
            }
        }

        impl<'de> serde::Deserialize<'de> for Output {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::registry::deserialize_by_key(deserializer, "an output", &[$((
                    $output_key,
                    |value| serde_json::from_value(value).map(Self::$variant),
                )),+])
            }
        }

        subnet_of!(pub Input, "input", $($variant => $module),+);
        subnet_of!(pub Output, "output", $($variant => $module),+);
        subnet_of!(pub(crate) Prepared, "prepared input", $($variant => $module),+);

        $(
            variant!(Input::$variant(<$module::$subnet as Subnet>::Input));
            variant!(Output::$variant(<$module::$subnet as Subnet>::Output));
            variant!(Prepared::$variant(<$module::$subnet as Subnet>::Prepared));
        )+
    };
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{load, EngineConfig, Input, Output, REGISTRY, SUBNETS};

    #[test]
    fn distinct_finds_any_repeated_word() {
        assert!(distinct(&[]));
        assert!(distinct(&["text"]));
        assert!(distinct(&["text", "pixels", "tex", "texts", ""]));
        assert!(!distinct(&["text", "text"]));
        assert!(!distinct(&["text", "pixels", "audio", "pixels"]));
        assert!(!distinct(&["", "a", ""]));
    }

    #[test]
    fn one_of_lists_keys_as_prose() {
        assert_eq!(one_of(&["text"]), "`text`");
        assert_eq!(one_of(&["text", "pixels"]), "`text` or `pixels`");
        assert_eq!(
            one_of(&["text", "pixels", "audio"]),
            "`text`, `pixels` or `audio`"
        );
    }

    #[test]
    fn subnets_lists_the_registry_in_order() {
        assert_eq!(SUBNETS, REGISTRY.map(|(name, _, _)| name));
        assert_eq!(SUBNETS, ["text-embedding", "digits"]);
    }

    /// What makes the key guess sound: every subnet's values carry its key, and come back
    /// as the same subnet's values through the enums.
    #[test]
    fn each_subnet_has_its_keys_and_its_values_come_back_as_its_own() {
        for (name, input_key, output_key) in REGISTRY {
            let engine = load(name, &EngineConfig::default())
                .unwrap_or_else(|e| panic!("cannot load subnet `{name}`: {e}"));
            assert_eq!(engine.name(), name);
            for index in [0, engine.validation_len().saturating_sub(1)] {
                let challenge = engine.challenge(index).unwrap();
                assert_eq!(challenge.input.subnet(), name);
                assert_eq!(challenge.reference.subnet(), name);

                let input = serde_json::to_value(&challenge.input).unwrap();
                assert!(input.get(input_key).is_some(), "{name}: {input}");
                let input: Input = serde_json::from_value(input).unwrap();
                assert_eq!(input, challenge.input);

                let output = serde_json::to_value(&challenge.reference).unwrap();
                assert!(output.get(output_key).is_some(), "{name}: {output}");
                let output: Output = serde_json::from_value(output).unwrap();
                assert_eq!(output, challenge.reference);

                let prepared = engine
                    .prepare_input(&engine.encode_input(&challenge.input).unwrap())
                    .unwrap();
                assert_eq!(prepared.subnet(), name);

                // The answer and the request fit the subnet's limits, envelopes included.
                let info = engine.info();
                let output =
                    String::from_utf8(engine.encode_output(&challenge.reference).unwrap()).unwrap();
                let answer = format!(r#"{{"status":"ok","payload":{output}}}"#);
                assert!(
                    answer.len() <= info.max_response_bytes as usize,
                    "{name}: {answer}"
                );
                let request = format!(
                    r#"{{"netuid":65535,"request_id":18446744073709551615,"payload":{input}}}"#,
                    input = serde_json::to_string(&challenge.input).unwrap()
                );
                assert!(request.len() <= info.max_request_bytes as usize, "{name}");
            }
        }
    }

    #[test]
    fn a_value_without_any_subnets_key_names_the_keys() {
        // From a `Value`: `from_str` would append the position to the message.
        let input = serde_json::from_value::<Input>(json!({ "image": [] })).unwrap_err();
        assert_eq!(input.to_string(), "an input has `text` or `pixels`");
        let output = serde_json::from_value::<Output>(json!({ "class": 1 })).unwrap_err();
        assert_eq!(output.to_string(), "an output has `embedding` or `label`");
        let input = serde_json::from_value::<Input>(json!([1])).unwrap_err();
        assert_eq!(input.to_string(), "an input is a JSON object");
    }
}
