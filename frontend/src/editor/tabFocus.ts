/**
 * Monaco's tab-focus mode (Tab moves the focus instead of indenting; Ctrl+M toggles it):
 * one switch for every editor on the page, readable and settable from React. Monaco
 * keeps it in a module of its own, not in the editor's options.
 */
import { useSyncExternalStore } from "react";
// @ts-expect-error -- monaco ships this module without type declarations
import { TabFocus as untyped } from "monaco-esm/editor/browser/config/tabFocus.js";

interface TabFocusModule {
  getTabFocusMode(): boolean;
  setTabFocusMode(value: boolean): void;
  onDidChangeTabFocus(listener: (value: boolean) => void): { dispose(): void };
}

const TabFocus = untyped as TabFocusModule;

export function setTabMovesFocus(value: boolean) {
  TabFocus.setTabFocusMode(value);
}

export function useTabMovesFocus(): boolean {
  return useSyncExternalStore(
    (notify) => {
      const subscription = TabFocus.onDidChangeTabFocus(() => notify());
      return () => subscription.dispose();
    },
    () => TabFocus.getTabFocusMode(),
  );
}
