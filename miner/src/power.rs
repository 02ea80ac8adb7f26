//! The power policy: where the device draws power from, and whether to go low-power.
//!
//! Sources, first that knows wins: the kernel's power-supply class
//! (`/sys/class/power_supply/*/{type,online,capacity,status}`), then a status file (one line:
//! `mains`, `battery [PERCENT]` or `unknown`), then the declared flags (`--on-battery`,
//! `--battery-percent`). On battery below `low_battery_percent` the miner is low-power: it runs
//! smaller batches on fewer workers and says so in its capacity beats.

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
}

/// Reads the power situation as [`PowerSettings`] say.
#[derive(Clone, Debug)]
pub struct PowerMonitor {
    settings: PowerSettings,
}

impl PowerMonitor {
    /// A monitor with these settings.
    pub fn new(settings: PowerSettings) -> Self {
        Self { settings }
    }

    /// Reads the current situation (a few small file reads).
    pub fn read(&self) -> PowerReading {
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
        }
    }

    /// The reading as gossiped: `low_power` when on battery below the threshold.
    pub fn status(&self, reading: PowerReading) -> PowerStatus {
        let low_power = reading.source == PowerSource::Battery
            && reading
                .battery_percent
                .is_some_and(|p| p < self.settings.low_battery_percent);
        PowerStatus {
            source: reading.source,
            battery_percent: reading.battery_percent,
            low_power,
        }
    }
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
        let monitor = PowerMonitor::new(settings(dir.path().to_owned()));
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
        let monitor = PowerMonitor::new(s);

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
