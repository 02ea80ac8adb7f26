//! The governed parameters as a user reads and writes them: one row per parameter a
//! `SetParameter` proposal can change (the directives pallet's `ParameterValue`, except
//! `SubnetHyperparameters`, which `gov propose set-hyperparameters` sets in subnet scope),
//! each with the units it is typed in.
//!
//! A value travels in the chain's JSON form — what `mindos_parameters` and
//! `mindos_proposals` return: planck as decimal strings, shares in parts per billion, block
//! counts as numbers — so one formatter shows the registry and a proposal alike:
//!
//! - [`parse`] reads what the user typed (`2.5` MIND, `60` %, `700000` blocks) into that form,
//!   exactly: more decimals than the chain can hold is an error, never rounded;
//! - [`format`] writes it back the way [`parse`] reads it (they round-trip), [`describe`]
//!   adds the unit and, for block counts, the time they take;
//! - [`to_call`] builds the call's `ParameterValue` from it.

use anyhow::{anyhow, bail, Context as _};
use mindos_chain_client::runtime::runtime_types::{
    mindos_consensus_math::emission::EmissionSplit,
    mindos_primitives::{HyperparameterBounds, Range},
    pallet_mindos_directives::parameters::ParameterValue,
    sp_arithmetic::{fixed_point::FixedU128, per_things::Perbill},
};
use serde_json::{json, Value};

use crate::{
    amount::{format_mind, parse_mind},
    stake::{duration, format_percent, parse_percent},
};

/// How a parameter's value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// MIND with up to 12 decimals; planck (a decimal string) on chain.
    Mind,
    /// A number of blocks.
    Blocks,
    /// A number of epochs.
    Epochs,
    /// A plain number.
    Count,
    /// A percentage with up to 7 decimals; parts per billion on chain.
    Percent,
    /// A factor with up to 18 decimals; on chain a `FixedU128`, 10^18 per unit.
    Factor,
    /// `owner=…,miners=…,validators=…` percentages summing to 100.
    EmissionSplit,
    /// `size=…,threshold=…` of the sentinel committee.
    Committee,
    /// `KEY=MIN..MAX` ranges of the subnet hyperparameters.
    Bounds,
}

impl Unit {
    /// The unit's name in `gov parameters --json`.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Mind => "mind",
            Unit::Blocks => "blocks",
            Unit::Epochs => "epochs",
            Unit::Count => "count",
            Unit::Percent => "percent",
            Unit::Factor => "factor",
            Unit::EmissionSplit | Unit::Committee | Unit::Bounds => "keys",
        }
    }
}

/// One governed parameter.
#[derive(Debug, PartialEq, Eq)]
pub struct Parameter {
    /// Its name on the command line: `unbonding-period`.
    pub name: &'static str,
    /// Its `ParameterValue` variant in the chain's JSON: `unbondingPeriod`. The registry uses
    /// the same key, except for the committee (two registry fields).
    pub key: &'static str,
    /// How its value is written.
    pub unit: Unit,
    /// What it does, in a line.
    pub about: &'static str,
}

/// Every parameter a `SetParameter` proposal sets in network scope, in the registry's order.
pub const PARAMETERS: [Parameter; 20] = [
    Parameter {
        name: "emission-split",
        key: "emissionSplit",
        unit: Unit::EmissionSplit,
        about: "owner / miners / validators shares of each epoch's emission, summing to 100 %",
    },
    Parameter {
        name: "block-emission",
        key: "blockEmission",
        unit: Unit::Mind,
        about: "new issuance per block before any halving",
    },
    Parameter {
        name: "halving-interval",
        key: "halvingInterval",
        unit: Unit::Blocks,
        about: "blocks between two halvings of the block emission",
    },
    Parameter {
        name: "burn-increase-factor",
        key: "burnIncreaseFactor",
        unit: Unit::Factor,
        about: "what each registration multiplies a subnet's registration burn by (above 1)",
    },
    Parameter {
        name: "burn-half-life",
        key: "burnHalfLife",
        unit: Unit::Blocks,
        about: "blocks in which the burn's excess over the floor halves",
    },
    Parameter {
        name: "burn-floor",
        key: "burnFloor",
        unit: Unit::Mind,
        about: "the lowest registration burn",
    },
    Parameter {
        name: "subnet-lock-base",
        key: "subnetLockBase",
        unit: Unit::Mind,
        about: "lock deposit of the first live subnet",
    },
    Parameter {
        name: "subnet-lock-per-subnet",
        key: "subnetLockPerSubnet",
        unit: Unit::Mind,
        about: "extra lock deposit for every subnet already live",
    },
    Parameter {
        name: "unbonding-period",
        key: "unbondingPeriod",
        unit: Unit::Blocks,
        about: "blocks unbonding stake stays held; longer than a vote",
    },
    Parameter {
        name: "hyperparameter-bounds",
        key: "hyperparameterBounds",
        unit: Unit::Bounds,
        about: "the ranges subnet owners keep their hyperparameters in",
    },
    Parameter {
        name: "sentinel-committee",
        key: "sentinelCommittee",
        unit: Unit::Committee,
        about: "sentinel committee size and the votes a verdict needs (over two thirds)",
    },
    Parameter {
        name: "sentinel-quarantine-epochs",
        key: "sentinelQuarantineEpochs",
        unit: Unit::Epochs,
        about: "epochs a first offence's quarantine lasts",
    },
    Parameter {
        name: "sentinel-reporter-share",
        key: "sentinelReporterShare",
        unit: Unit::Percent,
        about: "share of a miner's sentinel slash paid to its reporter (at most 50 %)",
    },
    Parameter {
        name: "kappa",
        key: "kappa",
        unit: Unit::Percent,
        about: "validator stake that must back a weight for it to count (50 % to 66.6666667 %)",
    },
    Parameter {
        name: "activity-cutoff",
        key: "activityCutoff",
        unit: Unit::Epochs,
        about: "epochs a validator's last weights count for (at least 2)",
    },
    Parameter {
        name: "sentinel-proven-slash",
        key: "sentinelProvenSlash",
        unit: Unit::Percent,
        about: "stake slashed for an offence that proves itself (1 % to 100 %)",
    },
    Parameter {
        name: "sentinel-judged-slash",
        key: "sentinelJudgedSlash",
        unit: Unit::Percent,
        about: "stake slashed for a committee's conviction (0 to 1 %)",
    },
    Parameter {
        name: "sentinel-overturned-slash",
        key: "sentinelOverturnedSlash",
        unit: Unit::Percent,
        about: "a sentinel's stake slashed when an audit overturns its conviction (0 to 50 %)",
    },
    Parameter {
        name: "sentinel-cleared-slash",
        key: "sentinelClearedSlash",
        unit: Unit::Percent,
        about: "a sentinel's stake slashed when an audit convicts a miner it cleared (0 to 50 %)",
    },
    Parameter {
        name: "sentinel-correlation-factor",
        key: "sentinelCorrelationFactor",
        unit: Unit::Count,
        about: "what sentinel slashes are multiplied by when many are wrong together (1 to 10)",
    },
];

/// The keys of the hyperparameter bounds, as typed and as the chain's JSON names them, and
/// whether the range is of MIND.
const BOUND_KEYS: [(&str, &str); 5] = [
    ("tempo", "tempo"),
    ("max-neurons", "max_neurons"),
    ("max-validators", "max_validators"),
    ("immunity-period", "immunity_period"),
    ("min-validator-stake", "min_validator_stake"),
];

/// A FixedU128's inner integer per unit.
const FIXED_ONE: u128 = 1_000_000_000_000_000_000;

/// Parts per billion in one whole.
const BILLION: u64 = 1_000_000_000;

/// The name without case, `-` or `_`: `unbonding_period`, `unbondingPeriod` and
/// `UNBONDING-PERIOD` all find `unbonding-period`.
fn normalize(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// The parameter called `name`; an unknown one is an error listing those that exist.
pub fn find(name: &str) -> anyhow::Result<&'static Parameter> {
    let wanted = normalize(name);
    if let Some(parameter) = PARAMETERS.iter().find(|p| normalize(p.name) == wanted) {
        return Ok(parameter);
    }
    if wanted == "subnethyperparameters" || wanted == "hyperparameters" {
        bail!(
            "`{name}` is set on one subnet, by the stake on that subnet: use `mindos gov propose \
             set-hyperparameters NETUID --tempo … --wallet W`"
        );
    }
    bail!(
        "unknown parameter `{name}`; the governed parameters are: {}",
        PARAMETERS
            .iter()
            .map(|p| p.name)
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The parameter's value in `registry` (`mindos_parameters`), in the form its
/// `ParameterValue` takes in JSON.
pub fn current(parameter: &Parameter, registry: &Value) -> anyhow::Result<Value> {
    let value = if parameter.unit == Unit::Committee {
        json!({
            "size": registry.get("sentinelCommitteeSize"),
            "threshold": registry.get("sentinelThreshold"),
        })
    } else {
        registry.get(parameter.key).cloned().unwrap_or(Value::Null)
    };
    if value.is_null()
        || value
            .as_object()
            .is_some_and(|o| o.values().any(Value::is_null))
    {
        bail!(
            "the node's mindos_parameters has no {} ({}); is it a newer or older runtime?",
            parameter.name,
            parameter.key
        );
    }
    Ok(value)
}

/// `value[key]`, `null` when absent (never panics, unlike indexing a non-object).
fn at<'a>(value: &'a Value, key: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    value.get(key).unwrap_or(&NULL)
}

/// Sets `value[key]`; `value` must be an object.
fn put(value: &mut Value, key: &str, new: Value) -> anyhow::Result<()> {
    value
        .as_object_mut()
        .ok_or_else(|| anyhow!("internal error: a grouped value is not an object"))?
        .insert(key.to_owned(), new);
    Ok(())
}

/// A whole number of the type the chain stores (`u16`, `u32`), with `_` allowed between
/// digits.
fn whole<T: TryFrom<u64>>(text: &str, what: &str) -> anyhow::Result<T> {
    let trimmed = text.trim();
    let bad = || anyhow!("`{text}` is not a valid {what} (a whole number)");
    if trimmed.is_empty()
        || trimmed.starts_with('_')
        || trimmed.ends_with('_')
        || !trimmed.chars().all(|c| c.is_ascii_digit() || c == '_')
    {
        return Err(bad());
    }
    let digits: String = trimmed.chars().filter(|c| *c != '_').collect();
    let n: u64 = digits.parse().map_err(|_| bad())?;
    T::try_from(n).map_err(|_| anyhow!("`{text}` is too large for a {what}"))
}

/// A percentage (`12.5`, `12.5%`) as parts per billion.
fn percent(text: &str) -> anyhow::Result<u32> {
    let text = text.trim();
    parse_percent(text.strip_suffix('%').unwrap_or(text).trim_end())
}

/// A factor with up to 18 decimals as a `FixedU128`'s inner integer: `1.2` is 1.2 × 10^18.
fn factor(text: &str) -> anyhow::Result<u128> {
    let bad = || anyhow!("`{text}` is not a factor (e.g. 1.2, at most 18 decimals)");
    let trimmed = text.trim();
    let (int, frac) = trimmed.split_once('.').unwrap_or((trimmed, ""));
    if int.is_empty() && frac.is_empty()
        || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let frac = frac.trim_end_matches('0');
    if frac.len() > 18 {
        return Err(bad());
    }
    let int: u128 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| bad())?
    };
    let frac_units: u128 = if frac.is_empty() {
        0
    } else {
        let scale = 10u128.pow(18u32.saturating_sub(frac.len() as u32));
        frac.parse::<u128>()
            .map_err(|_| bad())?
            .saturating_mul(scale)
    };
    int.checked_mul(FIXED_ONE)
        .and_then(|units| units.checked_add(frac_units))
        .ok_or_else(|| anyhow!("`{text}` is too large a factor"))
}

/// A FixedU128's inner integer as a decimal with the digits it needs: `1.2`.
fn format_factor(units: u128) -> String {
    let int = units / FIXED_ONE;
    let frac = units % FIXED_ONE;
    if frac == 0 {
        return int.to_string();
    }
    format!("{int}.{}", format!("{frac:018}").trim_end_matches('0'))
}

/// `key=value` pairs separated by commas, each key one of `known` and given once.
fn pairs<'a>(
    text: &'a str,
    known: &[&'static str],
) -> anyhow::Result<Vec<(&'static str, &'a str)>> {
    let mut found: Vec<(&'static str, &'a str)> = Vec::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, value)) = pair.split_once('=') else {
            bail!(
                "`{pair}` is not KEY=VALUE; the keys are {}",
                known.join(", ")
            );
        };
        let wanted = normalize(key);
        let Some(&key) = known.iter().find(|k| normalize(k) == wanted) else {
            bail!(
                "unknown key `{}`; the keys are {}",
                key.trim(),
                known.join(", ")
            );
        };
        if found.iter().any(|(k, _)| *k == key) {
            bail!("`{key}` is given twice");
        }
        found.push((key, value.trim()));
    }
    if found.is_empty() {
        bail!("no KEY=VALUE given; the keys are {}", known.join(", "));
    }
    Ok(found)
}

/// `MIN..MAX`.
fn range(text: &str) -> anyhow::Result<(&str, &str)> {
    text.split_once("..")
        .map(|(min, max)| (min.trim(), max.trim()))
        .ok_or_else(|| anyhow!("`{text}` is not a range MIN..MAX"))
}

/// Reads what the user typed for `parameter` into the chain's JSON form. Grouped values
/// (`Unit::EmissionSplit`, `Committee`, `Bounds`) take `current` for the keys not given.
pub fn parse(parameter: &Parameter, text: &str, current: &Value) -> anyhow::Result<Value> {
    let name = parameter.name;
    let value = match parameter.unit {
        Unit::Mind => json!(parse_mind(text)?.to_string()),
        Unit::Blocks => json!(whole::<u32>(text, "block count")?),
        Unit::Epochs => json!(whole::<u32>(text, "number of epochs")?),
        Unit::Count => json!(whole::<u32>(text, "number")?),
        Unit::Percent => json!(percent(text)?),
        Unit::Factor => json!(factor(text)?.to_string()),
        Unit::EmissionSplit => {
            let mut split = current.clone();
            for (key, value) in pairs(text, &["owner", "miners", "validators"])? {
                let share = percent(value).with_context(|| format!("{name} {key}"))?;
                put(&mut split, key, json!(share))?;
            }
            let sum: u64 = ["owner", "miners", "validators"]
                .iter()
                .map(|k| at(&split, k).as_u64().unwrap_or_default())
                .sum();
            if sum != BILLION {
                bail!(
                    "the emission split must sum to 100 %; owner {} % + miners {} % + validators \
                     {} % is {} %",
                    ppb_text(at(&split, "owner")),
                    ppb_text(at(&split, "miners")),
                    ppb_text(at(&split, "validators")),
                    format_percent(u32::try_from(sum).unwrap_or(u32::MAX)),
                );
            }
            split
        }
        Unit::Committee => {
            let mut committee = current.clone();
            for (key, value) in pairs(text, &["size", "threshold"])? {
                put(&mut committee, key, json!(whole::<u32>(value, key)?))?;
            }
            committee
        }
        Unit::Bounds => {
            let mut bounds = current.clone();
            let keys: Vec<&'static str> = BOUND_KEYS.iter().map(|(typed, _)| *typed).collect();
            for (key, value) in pairs(text, &keys)? {
                let (min, max) = range(value).with_context(|| format!("{name} {key}"))?;
                let chain_key = BOUND_KEYS
                    .iter()
                    .find(|(typed, _)| *typed == key)
                    .map_or(key, |(_, chain)| *chain);
                let parsed = match key {
                    "min-validator-stake" => json!({
                        "min": parse_mind(min)?.to_string(),
                        "max": parse_mind(max)?.to_string(),
                    }),
                    "immunity-period" => json!({
                        "min": whole::<u32>(min, key)?,
                        "max": whole::<u32>(max, key)?,
                    }),
                    _ => json!({
                        "min": whole::<u16>(min, key)?,
                        "max": whole::<u16>(max, key)?,
                    }),
                };
                let bound = |end: &str| {
                    let end = at(&parsed, end);
                    end.as_u64()
                        .map(u128::from)
                        .or_else(|| end.as_str().and_then(|s| s.parse().ok()))
                };
                if bound("min") > bound("max") {
                    bail!("{name} {key}: the range `{value}` is empty (its minimum is above its maximum)");
                }
                put(&mut bounds, chain_key, parsed)?;
            }
            bounds
        }
    };
    Ok(value)
}

/// Parts per billion (a JSON number) as a percentage.
fn ppb_text(value: &Value) -> String {
    value
        .as_u64()
        .and_then(|v| u32::try_from(v).ok())
        .map_or_else(|| value.to_string(), format_percent)
}

/// A planck decimal string (or number) as MIND.
fn mind_text(value: &Value) -> String {
    let planck = match value {
        Value::String(s) => s.parse::<u128>().ok(),
        Value::Number(n) => n.as_u64().map(u128::from),
        _ => None,
    };
    planck.map_or_else(|| value.to_string(), format_mind)
}

/// The value as the user types it for `set-parameter`: [`parse`] reads it back.
pub fn format(parameter: &Parameter, value: &Value) -> String {
    match parameter.unit {
        Unit::Mind => mind_text(value),
        Unit::Blocks | Unit::Epochs | Unit::Count => value.to_string(),
        Unit::Percent => ppb_text(value),
        Unit::Factor => value
            .as_str()
            .and_then(|s| s.parse::<u128>().ok())
            .map_or_else(|| value.to_string(), format_factor),
        Unit::EmissionSplit => ["owner", "miners", "validators"]
            .iter()
            .map(|k| format!("{k}={}", ppb_text(at(value, k))))
            .collect::<Vec<_>>()
            .join(","),
        Unit::Committee => format!(
            "size={},threshold={}",
            at(value, "size"),
            at(value, "threshold")
        ),
        Unit::Bounds => BOUND_KEYS
            .iter()
            .map(|(typed, chain)| {
                let range = at(value, chain);
                if *typed == "min-validator-stake" {
                    format!(
                        "{typed}={}..{}",
                        mind_text(at(range, "min")),
                        mind_text(at(range, "max"))
                    )
                } else {
                    format!("{typed}={}..{}", at(range, "min"), at(range, "max"))
                }
            })
            .collect::<Vec<_>>()
            .join(","),
    }
}

/// The value with its unit, for people: `604800 blocks (about 7 days 0 h)`, `60 %`.
pub fn describe(parameter: &Parameter, value: &Value, block_ms: u64) -> String {
    let text = format(parameter, value);
    match parameter.unit {
        Unit::Mind => format!("{text} MIND"),
        Unit::Blocks => {
            let seconds = value.as_u64().unwrap_or_default().saturating_mul(block_ms) / 1000;
            format!("{text} blocks ({})", duration(seconds))
        }
        Unit::Epochs => format!("{text} epochs"),
        Unit::Percent => format!("{text} %"),
        Unit::Factor => format!("×{text}"),
        Unit::EmissionSplit => ["owner", "miners", "validators"]
            .iter()
            .map(|k| format!("{k} {} %", ppb_text(at(value, k))))
            .collect::<Vec<_>>()
            .join(", "),
        Unit::Committee => format!(
            "{} members, {} votes convict",
            at(value, "size"),
            at(value, "threshold")
        ),
        Unit::Bounds => text
            .replace("min-validator-stake=", "min-validator-stake (MIND)=")
            .replace(',', ", "),
        Unit::Count => text,
    }
}

/// What the typed value ([`format`]) is in: `blocks, about 7 days 0 h`, `%`, `MIND`.
pub fn unit_note(parameter: &Parameter, value: &Value, block_ms: u64) -> String {
    match parameter.unit {
        Unit::Mind => "MIND".to_owned(),
        Unit::Blocks => {
            let seconds = value.as_u64().unwrap_or_default().saturating_mul(block_ms) / 1000;
            format!("blocks, {}", duration(seconds))
        }
        Unit::Epochs => "epochs".to_owned(),
        Unit::Count => "times".to_owned(),
        Unit::Percent | Unit::EmissionSplit => "%".to_owned(),
        Unit::Factor => "factor".to_owned(),
        Unit::Committee => "members, votes".to_owned(),
        Unit::Bounds => "min-validator-stake in MIND".to_owned(),
    }
}

fn number<T: TryFrom<u64>>(value: &Value, what: &str) -> anyhow::Result<T> {
    value
        .as_u64()
        .and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| anyhow!("{what}: {value} is not a number the chain takes"))
}

fn planck(value: &Value, what: &str) -> anyhow::Result<u128> {
    value
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow!("{what}: {value} is not an amount in planck"))
}

fn range_of<T: TryFrom<u64>>(value: &Value, what: &str) -> anyhow::Result<Range<T>> {
    Ok(Range {
        min: number(at(value, "min"), what)?,
        max: number(at(value, "max"), what)?,
    })
}

/// The call's `ParameterValue` for `value` (the chain's JSON form, as [`parse`] returns it).
pub fn to_call(parameter: &Parameter, value: &Value) -> anyhow::Result<ParameterValue<u128, u32>> {
    let name = parameter.name;
    let perbill = |v: &Value| number::<u32>(v, name).map(Perbill);
    Ok(match parameter.key {
        "emissionSplit" => ParameterValue::EmissionSplit(EmissionSplit {
            owner: perbill(at(value, "owner"))?,
            miners: perbill(at(value, "miners"))?,
            validators: perbill(at(value, "validators"))?,
        }),
        "blockEmission" => ParameterValue::BlockEmission(planck(value, name)?),
        "halvingInterval" => ParameterValue::HalvingInterval(number(value, name)?),
        "burnIncreaseFactor" => ParameterValue::BurnIncreaseFactor(FixedU128(planck(value, name)?)),
        "burnHalfLife" => ParameterValue::BurnHalfLife(number(value, name)?),
        "burnFloor" => ParameterValue::BurnFloor(planck(value, name)?),
        "subnetLockBase" => ParameterValue::SubnetLockBase(planck(value, name)?),
        "subnetLockPerSubnet" => ParameterValue::SubnetLockPerSubnet(planck(value, name)?),
        "unbondingPeriod" => ParameterValue::UnbondingPeriod(number(value, name)?),
        "hyperparameterBounds" => ParameterValue::HyperparameterBounds(HyperparameterBounds {
            tempo: range_of(at(value, "tempo"), name)?,
            max_neurons: range_of(at(value, "max_neurons"), name)?,
            max_validators: range_of(at(value, "max_validators"), name)?,
            immunity_period: range_of(at(value, "immunity_period"), name)?,
            min_validator_stake: Range {
                min: planck(at(at(value, "min_validator_stake"), "min"), name)?,
                max: planck(at(at(value, "min_validator_stake"), "max"), name)?,
            },
        }),
        "sentinelCommittee" => ParameterValue::SentinelCommittee {
            size: number(at(value, "size"), name)?,
            threshold: number(at(value, "threshold"), name)?,
        },
        "sentinelQuarantineEpochs" => {
            ParameterValue::SentinelQuarantineEpochs(number(value, name)?)
        }
        "sentinelReporterShare" => ParameterValue::SentinelReporterShare(perbill(value)?),
        "kappa" => ParameterValue::Kappa(perbill(value)?),
        "activityCutoff" => ParameterValue::ActivityCutoff(number(value, name)?),
        "sentinelProvenSlash" => ParameterValue::SentinelProvenSlash(perbill(value)?),
        "sentinelJudgedSlash" => ParameterValue::SentinelJudgedSlash(perbill(value)?),
        "sentinelOverturnedSlash" => ParameterValue::SentinelOverturnedSlash(perbill(value)?),
        "sentinelClearedSlash" => ParameterValue::SentinelClearedSlash(perbill(value)?),
        "sentinelCorrelationFactor" => {
            ParameterValue::SentinelCorrelationFactor(number(value, name)?)
        }
        other => bail!("internal error: no call for parameter {other}"),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests;
