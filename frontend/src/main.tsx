import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import "./styles.css";
import { startTheme } from "./theme/useTheme";

const root = document.getElementById("root");
if (!root) throw new Error("#root is missing from index.html");
startTheme();
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
