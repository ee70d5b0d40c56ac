import { nextPreference, preferenceLabel, type ThemePreference } from "../theme/theme";
import { setThemePreference, useTheme } from "../theme/useTheme";

const ICON: Record<ThemePreference, string> = { system: "◐", light: "☀", dark: "☾" };
const SHORT: Record<ThemePreference, string> = { system: "Auto", light: "Light", dark: "Dark" };

/** The header's theme switch: as the system, light, dark (kept on this device). */
export function ThemeSwitch() {
  const { preference, theme } = useTheme();
  // The visible word ("Auto") leads the name, so speech users can say what they see (WCAG 2.5.3).
  const label = `${SHORT[preference]}. ${preferenceLabel(preference, theme)}. Switch to ${SHORT[nextPreference(preference)].toLowerCase()}.`;
  return (
    <button
      type="button"
      className="btn small theme-switch"
      onClick={() => setThemePreference(nextPreference(preference))}
      aria-label={label}
      title={label}
      data-testid="theme-switch"
      data-preference={preference}
      data-theme={theme}
    >
      <span aria-hidden="true">{ICON[preference]}</span>
      <span className="theme-switch-text">{SHORT[preference]}</span>
    </button>
  );
}
