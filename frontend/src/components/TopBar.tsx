import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { Link, NavLink, useLocation } from "react-router-dom";
import { isTeacher, useAuth } from "../auth/AuthContext";
import { hasOperatorDashboard } from "../operatorRoute";
import { ThemeSwitch } from "./ThemeSwitch";

interface Props {
  title?: ReactNode;
  children?: ReactNode;
  /** Hide the account menu (guest workspace). */
  minimal?: boolean;
  /** The title is the page's h1 (pages with no heading of their own in the body). */
  heading?: boolean;
  /** Skip links shown first on Tab (workspace, student view). */
  skip?: ReactNode;
}

/**
 * The header: the brand, the page's title, what the page adds (a connection badge), the
 * account's links and the theme switch. On a narrow screen (styles.css, 860 px and below)
 * the account's links fold behind a Menu button, so the header never gets wider than the
 * screen (an admin has five of them) and the title keeps its room.
 */
export function TopBar({ title, children, minimal, heading, skip }: Props) {
  const { user, signOut } = useAuth();
  const [menuOpen, setMenuOpen] = useState(false);
  const menuId = useId();
  const menuButton = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLElement>(null);
  const location = useLocation();

  useEffect(() => setMenuOpen(false), [location.pathname]); // a link followed closes it
  useEffect(() => {
    if (!menuOpen) return undefined;
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== "Escape") return;
      setMenuOpen(false);
      menuButton.current?.focus();
    };
    const onPointer = (event: PointerEvent) => {
      const target = event.target as Node;
      if (!menu.current?.contains(target) && !menuButton.current?.contains(target)) setMenuOpen(false);
    };
    document.addEventListener("keydown", onKey);
    document.addEventListener("pointerdown", onPointer);
    return () => {
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("pointerdown", onPointer);
    };
  }, [menuOpen]);

  return (
    <header className="topbar">
      {skip}
      <Link to="/" className="brand">
        <span className="brand-mark" aria-hidden="true" />
        <span className="brand-name">Observer</span>
      </Link>
      {title ? heading ? <h1 className="topbar-title" tabIndex={-1}>{title}</h1> : <span className="topbar-title">{title}</span> : null}
      <span className="topbar-spacer" />
      {children}
      {!minimal && user ? (
        <>
          <button
            ref={menuButton}
            type="button"
            className="btn small topbar-menu-button"
            aria-expanded={menuOpen}
            aria-controls={menuId}
            onClick={() => setMenuOpen((open) => !open)}
          >
            <span aria-hidden="true">☰</span> Menu
          </button>
          <nav id={menuId} ref={menu} className={menuOpen ? "topbar-nav open" : "topbar-nav"} aria-label="Account">
            {isTeacher(user) ? (
              <NavLink to="/teach" className="nav-link" end>
                My sessions
              </NavLink>
            ) : null}
            {/* An admin manages every key on the operator page. */}
            {user.role === "teacher" ? (
              <NavLink to="/account/keys" className="nav-link">
                API keys
              </NavLink>
            ) : null}
            {user.role === "admin" && hasOperatorDashboard ? (
              <NavLink to="/operator" className="nav-link">
                Operations
              </NavLink>
            ) : null}
            {user.role === "admin" ? (
              <a href="/admin/" className="nav-link">
                Admin
              </a>
            ) : null}
            <NavLink to="/account/github" className="nav-link">
              GitHub
            </NavLink>
            <span className="who account-name">{user.display_name || user.username}</span>
            <button type="button" className="btn small" onClick={() => void signOut()}>
              Sign out
            </button>
          </nav>
        </>
      ) : null}
      {!minimal && !user ? (
        <Link to="/login" className="nav-link">
          Sign in
        </Link>
      ) : null}
      <ThemeSwitch />
    </header>
  );
}
