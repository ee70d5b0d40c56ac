import { lazy, type ComponentType } from "react";

/**
 * The operator dashboard lives in src/operator/ (the monitoring issue's folder). Its
 * route exists only once OperatorDashboard.tsx does: no placeholder page.
 */
const modules = import.meta.glob<{ default?: ComponentType; OperatorDashboard?: ComponentType }>(
  "./operator/OperatorDashboard.tsx",
);
const loader = modules["./operator/OperatorDashboard.tsx"];

export const hasOperatorDashboard = loader !== undefined;

export const OperatorDashboard = loader
  ? lazy(async () => {
      const mod = await loader();
      const component = mod.default ?? mod.OperatorDashboard;
      if (!component) throw new Error("src/operator/OperatorDashboard.tsx exports no component");
      return { default: component };
    })
  : null;
