//! Answers to a plugin's questions, and the defaults of a new job.
//!
//! Upstream Optimus asks the questions in a terminal survey; here the answers
//! come in as a map, are checked against the questions, and produce the new
//! job's config (the answers, then `defaultconfig`) and assets.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use crate::model::{NamedValue, Plugin, Question};

/// Answers keyed by question name. A multiselect question takes one of its
/// options as its answer.
///
/// ```
/// let mut answers = plugin_spec::Answers::new();
/// answers.insert("PROJECT".into(), "analytics".into());
/// ```
pub type Answers = BTreeMap<String, String>;

/// One refused answer, shown as `question: message`.
///
/// ```
/// let p = plugin_spec::AnswerProblem { question: "TABLE".into(), message: "required".into() };
/// assert_eq!(p.to_string(), "TABLE: required");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AnswerProblem {
    /// Name of the question (or of the unexpected answer).
    pub question: String,
    /// Why the answer is refused.
    pub message: String,
}

impl fmt::Display for AnswerProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.question, self.message)
    }
}

/// Every refused answer, one per line in `Display`; returned by
/// [`Plugin::check_answers`] and [`Plugin::new_job`].
///
/// ```
/// let src = "name: neo\nplugintype: task\npluginversion: 1\nimage: neo:1\n\
///            entrypoint: {script: run}\nquestions:\n  - {name: A, required: true}\n";
/// let plugin = plugin_spec::load_str(src, "neo.yaml")?;
/// let mut answers = plugin_spec::Answers::new();
/// answers.insert("B".into(), "x".into());
/// let err = plugin.check_answers(&answers).unwrap_err();
/// let names: Vec<&str> = err.problems.iter().map(|p| p.question.as_str()).collect();
/// assert_eq!(names, ["A", "B"]); // the missing answer, then the unexpected one
/// # Ok::<(), plugin_spec::SpecError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct AnswersError {
    /// The problems, in question order (unexpected answers last).
    pub problems: Vec<AnswerProblem>,
}

impl fmt::Display for AnswersError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

/// What a new job gets from a plugin and the answers to its questions
/// ([`Plugin::new_job`]).
///
/// ```
/// let src = "name: neo\nplugintype: task\npluginversion: 1\nimage: neo:1\n\
///            entrypoint: {script: run}\nquestions:\n  - {name: A}\n\
///            defaultconfig:\n  - {name: A, value: unused}\n  - {name: B, value: b}\n\
///            defaultassets:\n  - {name: query.sql, value: select 1}\n";
/// let plugin = plugin_spec::load_str(src, "neo.yaml")?;
/// let mut answers = plugin_spec::Answers::new();
/// answers.insert("A".into(), "a".into());
/// let job = plugin.new_job(&answers).expect("answers accepted");
/// let config: Vec<(&str, &str)> =
///     job.config.iter().map(|c| (c.name.as_str(), c.value.as_str())).collect();
/// assert_eq!(config, [("A", "a"), ("B", "b")]);
/// assert_eq!(job.assets[0].name, "query.sql");
/// # Ok::<(), plugin_spec::SpecError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct JobDefaults {
    /// The answers in question order (each sub-question right after the
    /// question that asked it), then the plugin's `defaultconfig` entries
    /// whose name no answer already set.
    pub config: Vec<NamedValue>,
    /// The plugin's `defaultassets`.
    pub assets: Vec<NamedValue>,
}

impl Plugin {
    /// Checks `answers` against the questions and returns the answer of every
    /// question that was asked, in question order.
    ///
    /// A question is asked if it is top-level, or if it is a sub-question
    /// whose `ifvalue` equals its parent's answer (recursively). An asked
    /// question without an answer takes its `default`, else the empty answer.
    /// Then:
    /// - `required`: the answer must not be empty;
    /// - a non-empty answer must match `regexp` (an unanchored search; the
    ///   message is `validationerror` when set), be `minlength` to `maxlength`
    ///   characters long, and be one of the options of a multiselect.
    ///
    /// Upstream Optimus skips the regexp and length checks of a `required`
    /// question; this checks them all. An answer to a question that was not
    /// asked (unknown, or a sub-question its parent's answer did not select)
    /// is refused too, so a typo never passes silently. Every problem is
    /// reported at once.
    ///
    /// ```
    /// # let src = "name: bq\nplugintype: task\npluginversion: 1\nimage: i\nentrypoint: {script: s}\n\
    /// # questions:\n  - {name: TABLE, regexp: '^[a-z_]+$', validationerror: 'lowercase only', required: true}\n";
    /// let plugin = plugin_spec::load_str(src, "bq.yaml")?;
    /// let mut answers = plugin_spec::Answers::new();
    /// answers.insert("TABLE".into(), "Orders".into());
    /// let err = plugin.check_answers(&answers).unwrap_err();
    /// assert_eq!(err.to_string(), "TABLE: lowercase only");
    /// # Ok::<(), plugin_spec::SpecError>(())
    /// ```
    pub fn check_answers(&self, answers: &Answers) -> Result<Vec<NamedValue>, AnswersError> {
        let mut walk = Walk {
            answers,
            asked: HashSet::new(),
            out: Vec::new(),
            problems: Vec::new(),
        };
        walk.questions(&self.questions);
        for name in answers.keys() {
            if !walk.asked.contains(name.as_str()) {
                let message = if contains_question(&self.questions, name) {
                    "answered, but not asked: the answer to its parent question does not select it"
                } else {
                    "answered, but the plugin has no such question"
                };
                walk.problems.push(AnswerProblem {
                    question: name.clone(),
                    message: message.to_owned(),
                });
            }
        }
        if walk.problems.is_empty() {
            Ok(walk.out)
        } else {
            Err(AnswersError {
                problems: walk.problems,
            })
        }
    }

    /// The config and assets of a new job: the checked answers (see
    /// [`Plugin::check_answers`]), then `defaultconfig`, and `defaultassets`.
    /// Where a `defaultconfig` entry has the name of an answered question,
    /// the answer wins and the entry is left out.
    ///
    /// ```
    /// # let src = "name: bq\nplugintype: task\npluginversion: 1\nimage: i\nentrypoint: {script: s}\n\
    /// # questions: [{name: TABLE}]\ndefaultconfig: [{name: SQL_TYPE, value: STANDARD}]\n";
    /// let plugin = plugin_spec::load_str(src, "bq.yaml")?;
    /// let answers = plugin_spec::Answers::from([("TABLE".to_owned(), "orders".to_owned())]);
    /// let job = plugin.new_job(&answers).expect("valid answers");
    /// let names: Vec<&str> = job.config.iter().map(|c| c.name.as_str()).collect();
    /// assert_eq!(names, ["TABLE", "SQL_TYPE"]);
    /// # Ok::<(), plugin_spec::SpecError>(())
    /// ```
    pub fn new_job(&self, answers: &Answers) -> Result<JobDefaults, AnswersError> {
        let mut config = self.check_answers(answers)?;
        let answered: HashSet<String> = config.iter().map(|c| c.name.clone()).collect();
        config.extend(
            self.default_config
                .iter()
                .filter(|c| !answered.contains(&c.name))
                .cloned(),
        );
        Ok(JobDefaults {
            config,
            assets: self.default_assets.clone(),
        })
    }
}

fn contains_question(list: &[Question], name: &str) -> bool {
    list.iter().any(|q| {
        q.name == name
            || q.sub_questions
                .iter()
                .any(|s| contains_question(&s.questions, name))
    })
}

struct Walk<'a> {
    answers: &'a Answers,
    asked: HashSet<&'a str>,
    out: Vec<NamedValue>,
    problems: Vec<AnswerProblem>,
}

impl<'a> Walk<'a> {
    fn problem(&mut self, q: &Question, message: String) {
        self.problems.push(AnswerProblem {
            question: q.name.clone(),
            message,
        });
    }

    fn questions(&mut self, list: &'a [Question]) {
        for q in list {
            self.question(q);
        }
    }

    fn question(&mut self, q: &'a Question) {
        self.asked.insert(q.name.as_str());
        let answer = self
            .answers
            .get(&q.name)
            .or(q.default.as_ref())
            .cloned()
            .unwrap_or_default();
        if answer.is_empty() {
            if q.required {
                self.problem(q, "an answer is required".to_owned());
            }
        } else {
            self.check(q, &answer);
        }
        self.out
            .push(NamedValue::new(q.name.clone(), answer.clone()));
        for sub in &q.sub_questions {
            if sub.if_value == answer {
                self.questions(&sub.questions);
            }
        }
    }

    fn check(&mut self, q: &Question, answer: &str) {
        if let Some(pattern) = &q.regexp {
            // Go's syntax, as upstream's CLI compiles it.
            let compiled = crate::goregex::translate(pattern)
                .ok()
                .and_then(|rust| regex::Regex::new(&rust).ok());
            match compiled.ok_or(()) {
                Ok(re) if re.is_match(answer) => {}
                Ok(_) if !q.validation_error.is_empty() => {
                    self.problem(q, q.validation_error.clone());
                }
                Ok(_) => self.problem(q, format!("`{answer}` does not match `{pattern}`")),
                Err(()) => self.problem(q, format!("the question's regexp `{pattern}` is invalid")),
            }
        }
        let len = i64::try_from(answer.chars().count()).unwrap_or(i64::MAX);
        if let Some(min) = q.min_length
            && len < min
        {
            self.problem(q, format!("must be at least {min} characters, got {len}"));
        }
        if let Some(max) = q.max_length
            && len > max
        {
            self.problem(q, format!("must be at most {max} characters, got {len}"));
        }
        if !q.options.is_empty() && !q.options.iter().any(|o| o == answer) {
            self.problem(
                q,
                format!("`{answer}` is not one of: {}", q.options.join(", ")),
            );
        }
    }
}
