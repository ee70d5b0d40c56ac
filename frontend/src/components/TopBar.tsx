import type { ReactNode } from "react";
import { Link, NavLink } from "react-router-dom";
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

export function TopBar({ title, children, minimal, heading, skip }: Props) {
  const { user, signOut } = useAuth();
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
          {isTeacher(user) ? (
            <NavLink to="/teach" className="nav-link" end>
              My sessions
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
