//! Assignments: the valuation jobs everything else hangs off.

mod code;
mod lifecycle;
mod model;
mod service;

pub use code::AssignmentCode;
pub use lifecycle::{AssignmentStatus, Milestones, TRANSITIONS, Transition, Who, transition};
pub use model::*;
pub use service::{
    AssignmentCreation, AssignmentDeletion, AssignmentDraft, AssignmentEdit, AssignmentService,
    AssignmentSettings, AssignmentView, FloorDraft, LIST_CAP, LIST_DEFAULT, MAX_ASSIGNEES,
    MAX_FLOORS, Visible, people_after, sees_money,
};
