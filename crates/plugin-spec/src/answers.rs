//! Answers to a plugin's questions (placeholder, filled in next).

/// Answers keyed by question name.
pub type Answers = std::collections::BTreeMap<String, String>;

/// One refused answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerProblem {
    /// The question.
    pub question: String,
    /// Why the answer is refused.
    pub message: String,
}

/// Every refused answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("answers refused")]
pub struct AnswersError {
    /// The problems.
    pub problems: Vec<AnswerProblem>,
}
