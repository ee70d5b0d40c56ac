import { Markdown } from "../components/Markdown";
import { latestAnswered, useFeed } from "./feedStore";

/** In a raised hand's card: what the AI last told this student, so the teacher starts from there. */
export function HelpCardAnswer({ participantId }: { participantId: string }) {
  const feed = useFeed();
  const question = latestAnswered(feed.questions, participantId);
  if (!question) return null;
  return (
    <details className="assist-help-card" data-testid="help-ai-answer">
      <summary style={{ fontSize: "0.8rem" }}>Asked the AI first{question.error_summary ? ` about ${question.error_summary}` : ""}</summary>
      <Markdown text={question.status === "withheld" ? (question.withheld_answer ?? question.answer) : question.answer} />
    </details>
  );
}
