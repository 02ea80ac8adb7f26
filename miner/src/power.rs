//! The power policy: where the device draws power from, and whether to go low-power.
//!
//! Sources, first that knows wins: the kernel's power-supply class
//! (`/sys/class/power_supply/*/{type,online,capacity,status}`), then a status file (one line:
//! `mains`, `battery [PERCENT]` or `unknown`), then the declared flags (`--on-battery`,
//! `--battery-percent`). On battery below `low_battery_percent` the miner is low-power: it runs
//! smaller batches on fewer workers and says so in its capacity beats.
//!
//! Heat counts the same way: where the kernel's thermal class exists
//! (`/sys/class/thermal/thermal_zone*/temp`, millidegrees Celsius), the hottest plausible zone
//! at or above `hot_celsius` makes the miner low-power until it is [`COOL_DOWN_CELSIUS`]
//! cooler — a Raspberry Pi in a case or a phone in the sun sheds work before its firmware
//! throttles the CPU under the miner's feet. The gap keeps the mode from flapping around the
//! threshold.

use std::{fs, path::Path};

use mindos_mesh::{PowerSource, PowerStatus};

use crate::config::PowerSettings;

/// Which source a [`PowerReading`] came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PowerOrigin {
    /// The kernel's power-supply class; it found a battery.
    Sysfs,
    /// The status file.
    StatusFile,
    /// The declared flags.
    Flags,
}

/// What a power reading found, and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PowerReading {
    /// Mains, battery or unknown.
    pub source: PowerSource,
    /// Battery charge, if known.
    pub battery_percent: Option<u8>,
    /// Which source told.
    pub origin: PowerOrigin,
    /// The hottest thermal zone in °C, if the device reports any.
    pub celsius: Option<i32>,
}

/// How much cooler than `hot_celsius` the device must get to leave low-power mode.
pub const COOL_DOWN_CELSIUS: i32 = 5;

/// Why the miner is low-power, if it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LowPowerCause {
    /// On battery below the threshold.
    LowBattery,
    /// The device runs hot.
    Heat,
}

/// Reads the power situation as [`PowerSettings`] say, and remembers whether the device was
/// hot (the way back out of heat is [`COOL_DOWN_CELSIUS`] lower than the way in).
#[derive(Clone, Debug)]
pub struct PowerMonitor {
    settings: PowerSettings,
    hot: bool,
    cause: Option<LowPowerCause>,
}

impl PowerMonitor {
    /// A monitor with these settings.
    pub fn new(settings: PowerSettings) -> Self {
        Self {
            settings,
            hot: false,
            cause: None,
        }
    }

    /// Reads the current situation (a few small file reads).
    pub fn read(&self) -> PowerReading {
        PowerReading {
            celsius: read_thermal_dir(&self.settings.thermal_dir),
            ..self.read_supply()
        }
    }

    fn read_supply(&self) -> PowerReading {
        if let Some(reading) = read_supply_dir(&self.settings.supply_dir) {
            return reading;
        }
        if let Some(reading) = self
            .settings
            .status_file
            .as_deref()
            .and_then(read_status_file)
        {
            return reading;
        }
        PowerReading {
            source: if self.settings.on_battery {
                PowerSource::Battery
            } else {
                PowerSource::Unknown
            },
            battery_percent: self.settings.battery_percent,
            origin: PowerOrigin::Flags,
            celsius: None,
        }
    }

    /// Why `reading` makes the miner low-power, if it does: on battery below the threshold,
    /// or hot (at `hot_celsius`, or still within [`COOL_DOWN_CELSIUS`] of it after being
    /// hot). Updates whether the device counts as hot.
    pub fn low_power_cause(&mut self, reading: PowerReading) -> Option<LowPowerCause> {
        let hot_at = i32::from(self.settings.hot_celsius);
        let threshold = if self.hot {
            hot_at.saturating_sub(COOL_DOWN_CELSIUS)
        } else {
            hot_at
        };
        self.hot = reading.celsius.is_some_and(|c| c >= threshold);
        let low_battery = reading.source == PowerSource::Battery
            && reading
                .battery_percent
                .is_some_and(|p| p < self.settings.low_battery_percent);
        self.cause = if low_battery {
            Some(LowPowerCause::LowBattery)
        } else if self.hot {
            Some(LowPowerCause::Heat)
        } else {
            None
        };
        self.cause
    }

    /// Why the last [`Self::status`] was low-power, if it was.
    pub fn cause(&self) -> Option<LowPowerCause> {
        self.cause
    }

    /// The reading as gossiped: `low_power` on battery below the threshold or when hot.
    pub fn status(&mut self, reading: PowerReading) -> PowerStatus {
        PowerStatus {
            source: reading.source,
            battery_percent: reading.battery_percent,
            low_power: self.low_power_cause(reading).is_some(),
        }
    }
}

/// The temperatures a thermal zone can plausibly report, in millidegrees Celsius: disabled
/// or broken sensors say -273 °C, 0 or absurd values, and must not make a device "hot".
const PLAUSIBLE_MILLICELSIUS: std::ops::RangeInclusive<i64> = -40_000..=150_000;

/// The hottest plausible `thermal_zone*/temp` under `dir`, in whole °C; `None` when the
/// directory is missing (most VMs and containers) or reports nothing plausible.
fn read_thermal_dir(dir: &Path) -> Option<i32> {
    let mut hottest: Option<i64> = None;
    for entry in fs::read_dir(dir).ok()?.flatten() {
        if !entry
            .file_name()
            .to_string_lossy()
            .starts_with("thermal_zone")
        {
            continue;
        }
        let Some(millicelsius) = fs::read_to_string(entry.path().join("temp"))
            .ok()
            .and_then(|text| text.trim().parse::<i64>().ok())
            .filter(|m| PLAUSIBLE_MILLICELSIUS.contains(m))
        else {
            continue;
        };
        hottest = Some(hottest.map_or(millicelsius, |h| h.max(millicelsius)));
    }
    hottest.and_then(|m| i32::try_from(m.div_euclid(1000)).ok())
}

/// Reads the kernel's power-supply class. `None` when the directory is missing, empty or
/// shows no battery (a desktop: then the other sources decide, or mains is assumed by
/// routing).
fn read_supply_dir(dir: &Path) -> Option<PowerReading> {
    let mut battery_percent: Option<u8> = None;
    let mut discharging = false;
    let mut has_battery = false;
    let mut external_online: Option<bool> = None;
    for entry in fs::read_dir(dir).ok()?.flatten() {
        let supply = entry.path();
        let read = |name: &str| {
            fs::read_to_string(supply.join(name))
                .ok()
                .map(|s| s.trim().to_owned())
        };
        match read("type").as_deref() {
            Some("Battery") => {
                // Peripheral batteries (mice, headsets) have `scope = Device`.
                if read("scope").as_deref() == Some("Device") {
                    continue;
                }
                has_battery = true;
                if let Some(p) = read("capacity").and_then(|c| c.parse::<u8>().ok()) {
                    let p = p.min(100);
                    battery_percent = Some(battery_percent.map_or(p, |q| q.min(p)));
                }
                discharging |= read("status").as_deref() == Some("Discharging");
            }
            Some(_) => {
                if let Some(online) = read("online") {
                    let online = online == "1";
                    external_online = Some(external_online.unwrap_or(false) || online);
                }
            }
            None => {}
        }
    }
    if !has_battery {
        return None;
    }
    // Chargers tell best; without any, the battery's own status does.
    let on_battery = match external_online {
        Some(online) => !online,
        None => discharging,
    };
    Some(PowerReading {
        source: if on_battery {
            PowerSource::Battery
        } else {
            PowerSource::Mains
        },
        battery_percent,
        origin: PowerOrigin::Sysfs,
        celsius: None,
    })
}

/// Reads a status file: `mains`, `battery`, `battery 35` or `unknown` (case-insensitive).
/// `None` (with a warning) if it is missing or says something else.
fn read_status_file(path: &Path) -> Option<PowerReading> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            tracing::debug!(path = %path.display(), error = %e, "power status file not readable");
            return None;
        }
    };
    let parsed = parse_status(&text);
    if parsed.is_none() {
        tracing::warn!(path = %path.display(), "power status file should say `mains`, `battery [PERCENT]` or `unknown`");
    }
    parsed
}

fn parse_status(text: &str) -> Option<PowerReading> {
    let mut words = text.split_whitespace();
    let source = match words.next()?.to_ascii_lowercase().as_str() {
        "mains" | "ac" => PowerSource::Mains,
        "battery" => PowerSource::Battery,
        "unknown" => PowerSource::Unknown,
        _ => return None,
    };
    let battery_percent = match words.next() {
        Some(word) => Some(
            word.trim_end_matches('%')
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= 100)?,
        ),
        None => None,
    };
    if words.next().is_some() {
        return None;
    }
    Some(PowerReading {
        source,
        battery_percent,
        origin: PowerOrigin::StatusFile,
        celsius: None,
    })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn settings(dir: PathBuf) -> PowerSettings {
        PowerSettings {
            supply_dir: dir,
            status_file: None,
            on_battery: false,
            battery_percent: None,
            low_battery_percent: 20,
            thermal_dir: PathBuf::from("/nonexistent"),
            hot_celsius: 80,
            low_power_max_batch: 1,
            low_power_workers: 1,
        }
    }

    fn supply(dir: &Path, name: &str, files: &[(&str, &str)]) {
        let d = dir.join(name);
        fs::create_dir_all(&d).unwrap();
        for (file, value) in files {
            fs::write(d.join(file), format!("{value}\n")).unwrap();
        }
    }

    #[test]
    fn sysfs_battery_discharging_below_threshold_is_low_power() {
        let dir = tempfile::tempdir().unwrap();
        supply(dir.path(), "AC", &[("type", "Mains"), ("online", "0")]);
        supply(
            dir.path(),
            "BAT0",
            &[
                ("type", "Battery"),
                ("capacity", "15"),
                ("status", "Discharging"),
            ],
        );
        supply(
            dir.path(),
            "hidpp_battery_0",
            &[("type", "Battery"), ("scope", "Device"), ("capacity", "3")],
        );
        let mut monitor = PowerMonitor::new(settings(dir.path().to_owned()));
        let reading = monitor.read();
        assert_eq!(reading.source, PowerSource::Battery);
        assert_eq!(reading.battery_percent, Some(15));
        assert_eq!(reading.origin, PowerOrigin::Sysfs);
        assert!(monitor.status(reading).low_power);

        supply(dir.path(), "AC", &[("online", "1")]);
        let reading = monitor.read();
        assert_eq!(reading.source, PowerSource::Mains);
        assert!(!monitor.status(reading).low_power);
    }

    #[test]
    fn no_battery_falls_back_to_the_status_file_then_flags() {
        let dir = tempfile::tempdir().unwrap();
        supply(dir.path(), "AC", &[("type", "Mains"), ("online", "1")]);
        let status = dir.path().join("power-status");
        let mut s = settings(dir.path().to_owned());
        s.status_file = Some(status.clone());
        s.on_battery = true;
        s.battery_percent = Some(50);
        let mut monitor = PowerMonitor::new(s);

        // No status file yet: the flags.
        let reading = monitor.read();
        assert_eq!(
            (reading.source, reading.battery_percent, reading.origin),
            (PowerSource::Battery, Some(50), PowerOrigin::Flags)
        );
        assert!(!monitor.status(reading).low_power);

        fs::write(&status, "battery 10\n").unwrap();
        let reading = monitor.read();
        assert_eq!(
            (reading.source, reading.battery_percent, reading.origin),
            (PowerSource::Battery, Some(10), PowerOrigin::StatusFile)
        );
        assert!(monitor.status(reading).low_power);

        fs::write(&status, "MAINS").unwrap();
        assert_eq!(monitor.read().source, PowerSource::Mains);
    }

    fn zone(dir: &Path, n: u32, millicelsius: &str) {
        supply(dir, &format!("thermal_zone{n}"), &[("temp", millicelsius)]);
    }

    #[test]
    fn a_hot_device_is_low_power_until_it_cools_down_by_the_gap() {
        let thermal = tempfile::tempdir().unwrap();
        let mut s = settings(PathBuf::from("/nonexistent"));
        s.thermal_dir = thermal.path().to_owned();
        let mut monitor = PowerMonitor::new(s);
        // A desktop on mains with no thermal zones: never hot.
        assert_eq!(monitor.read().celsius, None);
        assert!(!monitor.status(monitor.read()).low_power);

        // The hottest zone counts; a cooling device (not a thermal zone) and implausible
        // readings (a disabled sensor's -273 °C, a broken one's 1000 °C) do not.
        zone(thermal.path(), 0, "45000");
        zone(thermal.path(), 1, "79999");
        zone(thermal.path(), 2, "-273000");
        zone(thermal.path(), 3, "1000000");
        supply(thermal.path(), "cooling_device0", &[("temp", "99000")]);
        let reading = monitor.read();
        assert_eq!(reading.celsius, Some(79));
        assert_eq!(monitor.low_power_cause(reading), None);

        zone(thermal.path(), 1, "80000");
        let reading = monitor.read();
        assert_eq!(reading.celsius, Some(80));
        assert_eq!(monitor.low_power_cause(reading), Some(LowPowerCause::Heat));
        assert!(monitor.status(reading).low_power);
        // Cooling by less than the gap keeps it low-power; by the gap ends it.
        zone(thermal.path(), 1, "75500");
        assert!(monitor.status(monitor.read()).low_power);
        zone(thermal.path(), 1, "74999");
        assert!(!monitor.status(monitor.read()).low_power);
        // And back in only at the threshold itself.
        zone(thermal.path(), 1, "79000");
        assert!(!monitor.status(monitor.read()).low_power);
    }

    #[test]
    fn low_battery_is_named_before_heat() {
        let thermal = tempfile::tempdir().unwrap();
        zone(thermal.path(), 0, "90000");
        let mut s = settings(PathBuf::from("/nonexistent"));
        s.thermal_dir = thermal.path().to_owned();
        s.on_battery = true;
        s.battery_percent = Some(5);
        let mut monitor = PowerMonitor::new(s);
        assert_eq!(
            monitor.low_power_cause(monitor.read()),
            Some(LowPowerCause::LowBattery)
        );
    }

    #[test]
    fn status_lines_parse_strictly() {
        assert_eq!(
            parse_status("battery 35%").map(|r| r.battery_percent),
            Some(Some(35))
        );
        assert_eq!(
            parse_status("unknown").map(|r| r.source),
            Some(PowerSource::Unknown)
        );
        for bad in ["", "solar", "battery 101", "battery x", "mains 1 2"] {
            assert!(parse_status(bad).is_none(), "{bad:?}");
        }
    }
}
