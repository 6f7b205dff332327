//! The real kubectl against the demo's control plane. Each command is echoed the way a person would
//! type it once KUBECONFIG is exported, so the transcript doubles as a walkthrough.

use std::borrow::Cow;
use std::path::Path;

use sds_test_support::ControlPlane;

use crate::error::DemoError;

/// kubectl as the control plane's admin, run from the checkout so `crds/` and `examples/` resolve.
#[derive(Debug, Clone, Copy)]
pub struct Kubectl<'a> {
    control_plane: &'a ControlPlane,
    repo: &'a Path,
}

impl<'a> Kubectl<'a> {
    pub fn new(control_plane: &'a ControlPlane, repo: &'a Path) -> Self {
        Self {
            control_plane,
            repo,
        }
    }

    /// Runs `kubectl args` without printing anything and returns its stdout.
    pub async fn quiet(&self, args: &[&str]) -> Result<String, DemoError> {
        let mut command = tokio::process::Command::from(self.control_plane.kubectl());
        // A Ctrl-C in the terminal reaches only the demo, which drops (and so kills) a running
        // `kubectl wait` instead of reporting it as failed.
        command
            .args(args)
            .current_dir(self.repo)
            .process_group(0)
            .kill_on_drop(true);
        let output = command
            .output()
            .await
            .map_err(DemoError::io("run", &self.control_plane.binaries().kubectl))?;
        if output.status.success() {
            return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
        }
        Err(DemoError::Kubectl {
            command: command_line(args),
            status: output.status.to_string(),
            output: format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            )
            .trim_end()
            .to_owned(),
        })
    }

    /// Echoes `$ kubectl args`, runs it and prints its output.
    pub async fn show(&self, args: &[&str]) -> Result<String, DemoError> {
        println!("$ {}", command_line(args));
        let output = self.quiet(args).await?;
        print!("{output}");
        Ok(output)
    }
}

/// The command as it would be typed into a POSIX shell.
pub fn command_line(args: &[&str]) -> String {
    std::iter::once(Cow::Borrowed("kubectl"))
        .chain(args.iter().map(|arg| shell_quote(arg)))
        .collect::<Vec<_>>()
        .join(" ")
}

fn shell_quote(arg: &str) -> Cow<'_, str> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c);
    if !arg.is_empty() && arg.chars().all(plain) {
        Cow::Borrowed(arg)
    } else {
        Cow::Owned(format!("'{}'", arg.replace('\'', r"'\''")))
    }
}

#[cfg(test)]
mod tests {
    use super::command_line;

    #[test]
    fn echoed_commands_can_be_pasted_into_a_shell() {
        assert_eq!(
            command_line(&["get", "sgpf", "-n", "sds", "-o", "wide"]),
            "kubectl get sgpf -n sds -o wide"
        );
        assert_eq!(
            command_line(&["wait", "--for=jsonpath={.status.flowId}", "it's"]),
            r"kubectl wait '--for=jsonpath={.status.flowId}' 'it'\''s'"
        );
    }
}
