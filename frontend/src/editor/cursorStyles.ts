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

function cssString(text: string): string {
  return `"${text.replace(/["\\\n]/g, " ").slice(0, 40)}"`;
}

/** Colours and name labels for remote cursors drawn by y-monaco (one <style> per editor). */
export function bindCursorStyles(awareness: Awareness): () => void {
  const style = document.createElement("style");
  document.head.appendChild(style);
  const render = () => {
    const rules: string[] = [];
    awareness.getStates().forEach((state, clientId) => {
      if (clientId === awareness.clientID) return;
      const user = (state as { user?: PresenceUser }).user;
      const color = user?.color ?? "#e8590c";
      const name = user?.name ?? "Someone";
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
