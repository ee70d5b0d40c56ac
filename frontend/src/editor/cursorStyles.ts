import type { Awareness } from "y-protocols/awareness";

export interface PresenceUser {
  name: string;
  color: string;
}

const PALETTE = ["#e8590c", "#1971c2", "#2f9e44", "#c2255c", "#7048e8", "#0c8599", "#e67700", "#5c940d"];

export function colorFor(seed: string): string {
  let hash = 0;
  for (let i = 0; i < seed.length; i += 1) hash = (hash * 31 + seed.charCodeAt(i)) | 0;
  return PALETTE[Math.abs(hash) % PALETTE.length] ?? "#e8590c";
}

/**
 * A remote name as a CSS string. The name comes from another browser's awareness state
 * (any JSON a peer sends), so everything but plain letters, digits and spaces is
 * escaped: no quote, backslash, newline or brace can end the string or the rule.
 */
export function cssString(text: string): string {
  const escaped = Array.from(text)
    .slice(0, 40)
    .map((ch) => (/^[\p{L}\p{N} ]$/u.test(ch) ? ch : `\\${ch.codePointAt(0)!.toString(16)} `))
    .join("");
  return `"${escaped}"`;
}

/** A remote colour, used only when it is a plain #rrggbb (anything else could break out of the rule). */
export function safeColor(color: unknown, seed: string): string {
  return typeof color === "string" && /^#[0-9a-fA-F]{6}$/.test(color) ? color : colorFor(seed);
}

/** Colours and name labels for remote cursors drawn by y-monaco (one <style> per editor). */
export function bindCursorStyles(awareness: Awareness): () => void {
  const style = document.createElement("style");
  document.head.appendChild(style);
  const render = () => {
    const rules: string[] = [];
    awareness.getStates().forEach((state, clientId) => {
      if (clientId === awareness.clientID) return;
      const user = (state as { user?: Partial<PresenceUser> }).user;
      const name = typeof user?.name === "string" && user.name.trim() ? user.name : "Someone";
      const color = safeColor(user?.color, name);
      rules.push(
        `.yRemoteSelection-${clientId}{background-color:${color}33}`,
        `.yRemoteSelectionHead-${clientId}{border-color:${color} !important}`,
        `.yRemoteSelectionHead-${clientId}::after{border-color:${color} !important}`,
        `.yRemoteSelectionHead-${clientId}::before{content:${cssString(name)};position:absolute;top:-1.4em;left:-2px;background:${color};color:#fff;font:11px/1.3 system-ui,sans-serif;padding:0 4px;border-radius:3px;white-space:nowrap;pointer-events:none;z-index:10}`,
      );
    });
    style.textContent = rules.join("\n");
  };
  awareness.on("change", render);
  render();
  return () => {
    awareness.off("change", render);
    style.remove();
  };
}
