"""Generate a deterministic trust-scale FTE-mode scenario for the benchmarks.

    python benchmarks/generate.py -o benchmarks/data/trust.yaml --seed 1

The scenario follows ``SCENARIO.md`` exactly (FTE mode): 40 roles (registered
and unregistered, medical, nursing, AHP, psychology, social care, peer and
support roles) with costs, caseload capacities, continuity shares and
supervision rules; 20 competencies; 150 tasks; 8 tiers x 8 pathway stages;
duty and registered-coordination policies; sizing bounds.

The establishment is sized from the demand itself: every competency's hours
are shared out over the roles that hold it (preferring the cheaper roles
allowed to do the work), then each role's FTE is drawn a little above or below
what that share needs, and supervisors are topped up to ~98% of the
supervision their supervisees need. The plan therefore has some workforce
risks but covers most of the work (seed 1: about 5% of the 26,000 demand
hours a week unmet, all in lower-consequence tiers and tasks, and one
supervisee unsupervised).

After writing, the file is loaded with :func:`optimiser.scenario.load_scenario`
and the size of the plain formulation (``benchmarks/naive_model.py``) is
printed: ``x[task, segment, role]`` for every eligible triple, plus ``y``,
``p``, ``z``, ``d`` and the shortfall variables.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from naive_model import build_naive  # noqa: E402

from optimiser.scenario import load_scenario  # noqa: E402

# --------------------------------------------------------------------------
# Fixed vocabulary
# --------------------------------------------------------------------------

#: competency id -> (title, signoff_valid_months or None, criticality range)
COMPETENCIES: dict[str, tuple[str, int | None, tuple[int, int]]] = {
    "engagement": ("Engagement and continuity work", None, (2, 3)),
    "care_coordination": ("Care coordination (CPA)", None, (3, 4)),
    "risk_assessment": ("Risk assessment and formulation", 12, (4, 5)),
    "safeguarding": ("Safeguarding adults and children (level 3)", 12, (4, 5)),
    "medication": ("Medication support and monitoring", 12, (3, 4)),
    "physical_health": ("Physical health checks and escalation", 12, (3, 4)),
    "prescribing": ("Medical review and prescribing", None, (4, 5)),
    "psychological_therapy": ("High-intensity psychological therapy", None, (2, 3)),
    "cbt": ("Low-intensity CBT-informed interventions", None, (2, 3)),
    "family_intervention": ("Family intervention and carer support", None, (2, 3)),
    "peer_support": ("Lived-experience peer support", None, (1, 2)),
    "social_care_assessment": ("Care Act assessment and review", None, (3, 3)),
    "mental_health_act": ("Mental Health Act assessment (AMHP)", 60, (4, 5)),
    "occupational_therapy": ("Occupational and functional assessment", None, (2, 3)),
    "employment_support": ("Individual placement and support (IPS)", None, (1, 2)),
    "substance_misuse": ("Co-occurring substance use interventions", 24, (3, 4)),
    "nutrition": ("Nutrition and eating assessment", None, (2, 3)),
    "crisis_intervention": ("Crisis assessment and home treatment", 12, (4, 5)),
    "housing_welfare": ("Housing, benefits and welfare advice", None, (1, 2)),
    "group_facilitation": ("Group work facilitation", None, (1, 2)),
}

#: competency id -> activity names of its tasks (150 in all)
ACTIVITIES: dict[str, list[str]] = {
    "engagement": [
        "planned_contact",
        "outreach_visit",
        "welfare_check",
        "wellbeing_call",
        "engagement_after_dna",
        "relationship_building",
        "community_access",
        "carer_contact",
        "activity_planning",
        "social_inclusion",
        "home_visit",
        "telephone_contact",
        "video_contact",
        "joint_visit",
    ],
    "care_coordination": [
        "care_plan_review",
        "cpa_review",
        "multi_agency_meeting",
        "section_117_review",
        "transfer_planning",
        "discharge_planning",
        "gp_liaison",
        "care_plan_update",
        "advance_statement",
        "crisis_contingency_plan",
    ],
    "risk_assessment": [
        "risk_review",
        "risk_formulation",
        "safety_plan_update",
        "positive_risk_taking",
        "forensic_history_review",
        "missing_person_plan",
        "risk_handover",
        "self_harm_review",
        "harm_to_others_review",
        "risk_screen",
        "post_incident_review",
    ],
    "safeguarding": [
        "safeguarding_coordination",
        "safeguarding_enquiry",
        "child_welfare_liaison",
        "domestic_abuse_review",
        "mash_liaison",
        "safeguarding_strategy_meeting",
        "exploitation_review",
        "safeguarding_review",
    ],
    "medication": [
        "medication_support",
        "depot_administration",
        "clozapine_monitoring",
        "lithium_monitoring",
        "side_effect_review",
        "medicines_reconciliation",
        "adherence_support",
        "compliance_aid_check",
        "prn_review",
    ],
    "physical_health": [
        "physical_health_check",
        "ecg",
        "bloods",
        "weight_and_bp",
        "smoking_cessation",
        "diabetes_screen",
        "cardiometabolic_followup",
        "health_action_plan",
        "dental_and_screening_access",
    ],
    "prescribing": [
        "medical_review",
        "outpatient_clinic",
        "prescription_review",
        "rapid_tranq_review",
        "high_dose_review",
        "capacity_assessment",
        "second_opinion",
    ],
    "psychological_therapy": [
        "formulation_session",
        "cbt_for_psychosis",
        "dbt_skills",
        "emdr",
        "cat_session",
        "psychology_consultation",
        "schema_therapy",
    ],
    "cbt": [
        "guided_self_help",
        "behavioural_activation",
        "anxiety_management",
        "sleep_intervention",
        "relapse_prevention_plan",
        "wellbeing_plan",
        "problem_solving",
    ],
    "family_intervention": [
        "family_intervention",
        "carer_assessment",
        "carer_support_session",
        "family_psychoeducation",
        "young_carer_liaison",
        "network_meeting",
    ],
    "peer_support": [
        "peer_support_session",
        "recovery_college_link",
        "peer_group",
        "hope_and_recovery",
        "peer_navigation",
    ],
    "social_care_assessment": [
        "care_act_assessment",
        "care_act_review",
        "direct_payment_review",
        "personal_budget_plan",
        "placement_review",
        "continuing_care_review",
    ],
    "mental_health_act": [
        "mha_assessment",
        "cto_review",
        "section_117_aftercare",
        "nearest_relative_liaison",
        "tribunal_report",
    ],
    "occupational_therapy": [
        "functional_assessment",
        "daily_living_skills",
        "sensory_assessment",
        "vocational_assessment",
        "home_environment_review",
        "ot_group_prep",
        "meaningful_activity",
    ],
    "employment_support": [
        "ips_employment_support",
        "job_search",
        "employer_liaison",
        "in_work_support",
        "education_support",
    ],
    "substance_misuse": [
        "alcohol_screen",
        "drug_use_review",
        "brief_intervention",
        "detox_liaison",
        "harm_reduction",
        "substance_relapse_plan",
    ],
    "nutrition": [
        "nutrition_screen",
        "eating_disorder_monitoring",
        "diet_plan_review",
        "refeeding_risk_check",
        "weight_management",
    ],
    "crisis_intervention": [
        "crisis_response",
        "home_treatment_visit",
        "gatekeeping_assessment",
        "crisis_plan_review",
        "out_of_hours_followup",
        "72_hour_followup",
        "crisis_telephone_support",
        "place_of_safety_review",
    ],
    "housing_welfare": [
        "housing_support",
        "benefits_advice",
        "debt_advice",
        "tenancy_sustainment",
        "homelessness_prevention",
        "pip_application",
    ],
    "group_facilitation": [
        "psychoeducation_group",
        "hearing_voices_group",
        "wellbeing_group",
        "mindfulness_group",
        "social_group",
        "anxiety_group",
        "carers_group",
        "medication_group",
        "transition_group",
    ],
}

#: competencies whose work in the higher tiers is for registered roles only
REGISTERED_RISK = {
    "care_coordination",
    "risk_assessment",
    "safeguarding",
    "medication",
    "prescribing",
    "mental_health_act",
    "crisis_intervention",
    "substance_misuse",
    "physical_health",
}
#: competencies whose delegated work needs clinical sign-off
SIGNOFF = {
    "medication",
    "physical_health",
    "cbt",
    "substance_misuse",
    "nutrition",
    "crisis_intervention",
}
#: competencies whose tasks are usually planned continuity work
CONTINUITY = {
    "engagement",
    "peer_support",
    "employment_support",
    "housing_welfare",
    "family_intervention",
    "cbt",
}

#: tier id -> (title, severity, caseload weight, people)
TIERS: dict[str, tuple[str, int, float, int]] = {
    "wellbeing": ("Wellbeing and self-management", 1, 0.25, 2600),
    "green_low": ("Stable, primary-care interface", 2, 0.4, 2200),
    "green": ("Stable, secondary care", 2, 0.5, 1900),
    "amber_low": ("Moderate risk, improving", 3, 0.8, 1400),
    "amber": ("Moderate risk", 3, 1.0, 1100),
    "amber_high": ("Moderate risk, deteriorating", 4, 1.3, 650),
    "red": ("High risk, volatile", 5, 1.6, 320),
    "red_high": ("Very high risk, complex", 5, 2.0, 140),
}
TIER_IDS = list(TIERS)

#: stage id -> share of a tier's people in it (before noise)
STAGES: dict[str, float] = {
    "referral": 0.05,
    "assessment": 0.08,
    "crisis": 0.03,
    "home_treatment": 0.04,
    "stabilisation": 0.15,
    "treatment": 0.30,
    "recovery": 0.25,
    "discharge": 0.10,
}
STAGE_IDS = list(STAGES)

#: how much more often a task recurs per person in each tier (amber = 1)
TIER_INTENSITY = [0.2, 0.28, 0.38, 0.6, 1.0, 1.5, 2.3, 3.2]

# role id: (title, registered, annual cost, competencies, caseload capacity,
#           continuity share, supervision (needs h/wk, supervised_by, max supervisees),
#           preference (share of held work it is meant to do))
Sup = tuple[float, list[str], int]
# fmt: off
ROLES: dict[str, tuple[str, bool, float, list[str], float, float, Sup, float]] = {
    "consultant_psychiatrist": (
        "Consultant psychiatrist", True, 165000,
        ["risk_assessment", "safeguarding", "medication", "physical_health", "prescribing",
         "crisis_intervention", "mental_health_act"],
        0, 0.0, (0.0, [], 4), 0.5),
    "specialty_doctor": (
        "Specialty doctor (psychiatry)", True, 112000,
        ["risk_assessment", "safeguarding", "medication", "physical_health", "prescribing",
         "crisis_intervention"],
        0, 0.0, (1.0, ["consultant_psychiatrist"], 0), 0.7),
    "psychiatry_trainee": (
        "Psychiatry specialty trainee (ST4-6)", True, 72000,
        ["risk_assessment", "medication", "physical_health", "prescribing"],
        0, 0.0, (1.0, ["consultant_psychiatrist"], 0), 0.8),
    "non_medical_prescriber": (
        "Non-medical prescriber (Band 8a)", True, 76000,
        ["engagement", "care_coordination", "risk_assessment", "safeguarding", "medication",
         "physical_health", "prescribing"],
        18, 0.2, (0.5, ["consultant_psychiatrist"], 4), 0.7),
    "consultant_nurse": (
        "Consultant nurse (Band 8c)", True, 96000,
        ["engagement", "care_coordination", "risk_assessment", "safeguarding", "medication",
         "physical_health", "crisis_intervention"],
        8, 0.0, (0.5, ["consultant_psychologist", "consultant_psychiatrist"], 6), 0.2),
    "team_manager": (
        "Team manager (Band 7)", True, 68000,
        ["engagement", "care_coordination", "risk_assessment", "safeguarding",
         "family_intervention", "social_care_assessment"],
        5, 0.0, (0.5, ["consultant_nurse"], 8), 0.2),
    "senior_nurse": (
        "Senior community nurse (Band 7)", True, 66000,
        ["engagement", "care_coordination", "risk_assessment", "safeguarding", "medication",
         "physical_health", "crisis_intervention", "cbt", "family_intervention",
         "substance_misuse", "nutrition"],
        22, 0.25, (0.5, ["consultant_nurse", "team_manager"], 6), 0.8),
    "community_nurse": (
        "Community mental health nurse (Band 6)", True, 58000,
        ["engagement", "care_coordination", "risk_assessment", "safeguarding", "medication",
         "physical_health", "substance_misuse", "cbt", "family_intervention", "nutrition",
         "group_facilitation"],
        35, 0.35, (0.375, ["senior_nurse", "team_manager"], 2), 1.0),
    "staff_nurse": (
        "Staff nurse (Band 5)", True, 46000,
        ["engagement", "risk_assessment", "safeguarding", "medication", "physical_health",
         "substance_misuse", "nutrition"],
        12, 0.3, (0.5, ["community_nurse", "senior_nurse"], 0), 1.0),
    "crisis_nurse": (
        "Crisis and home treatment nurse (Band 6)", True, 60000,
        ["engagement", "risk_assessment", "safeguarding", "medication", "crisis_intervention",
         "substance_misuse", "physical_health"],
        0, 0.0, (0.375, ["senior_nurse", "consultant_nurse"], 2), 1.0),
    "nursing_associate": (
        "Nursing associate (Band 4)", True, 38000,
        ["engagement", "medication", "physical_health", "nutrition"],
        0, 0.4, (0.5, ["community_nurse", "senior_nurse"], 0), 1.0),
    "senior_social_worker": (
        "Senior social worker (Band 7)", True, 64000,
        ["engagement", "care_coordination", "risk_assessment", "safeguarding",
         "social_care_assessment", "mental_health_act", "family_intervention",
         "housing_welfare"],
        20, 0.25, (0.5, ["team_manager"], 6), 0.8),
    "social_worker": (
        "Social worker (Band 6)", True, 56000,
        ["engagement", "care_coordination", "risk_assessment", "safeguarding",
         "social_care_assessment", "housing_welfare", "cbt", "family_intervention",
         "substance_misuse", "group_facilitation"],
        35, 0.35, (0.375, ["senior_social_worker", "team_manager"], 2), 1.0),
    "amhp": (
        "Approved mental health professional", True, 62000,
        ["risk_assessment", "safeguarding", "social_care_assessment", "mental_health_act",
         "crisis_intervention"],
        0, 0.0, (0.5, ["senior_social_worker"], 0), 1.0),
    "senior_ot": (
        "Senior occupational therapist (Band 7)", True, 64000,
        ["engagement", "care_coordination", "risk_assessment", "safeguarding",
         "physical_health", "occupational_therapy", "group_facilitation", "cbt",
         "employment_support"],
        20, 0.25, (0.5, ["team_manager", "consultant_psychologist"], 6), 0.8),
    "occupational_therapist": (
        "Occupational therapist (Band 6)", True, 56000,
        ["engagement", "care_coordination", "risk_assessment", "safeguarding",
         "physical_health", "occupational_therapy", "employment_support", "cbt",
         "group_facilitation"],
        30, 0.35, (0.375, ["senior_ot"], 2), 1.0),
    "ot_technician": (
        "Occupational therapy technician (Band 4)", False, 34000,
        ["engagement", "occupational_therapy", "group_facilitation", "employment_support"],
        0, 0.4, (0.5, ["occupational_therapist", "senior_ot"], 0), 1.0),
    "consultant_psychologist": (
        "Consultant clinical psychologist (Band 8c)", True, 98000,
        ["engagement", "risk_assessment", "safeguarding", "psychological_therapy", "cbt",
         "family_intervention"],
        0, 0.0, (0.0, [], 6), 0.4),
    "clinical_psychologist": (
        "Clinical psychologist (Band 8a)", True, 80000,
        ["engagement", "risk_assessment", "safeguarding", "psychological_therapy", "cbt",
         "family_intervention", "group_facilitation"],
        0, 0.3, (0.5, ["consultant_psychologist"], 4), 0.9),
    "cbt_therapist": (
        "CBT therapist (Band 7)", True, 62000,
        ["engagement", "risk_assessment", "psychological_therapy", "cbt", "group_facilitation"],
        0, 0.3, (0.5, ["clinical_psychologist", "consultant_psychologist"], 0), 1.0),
    "family_therapist": (
        "Systemic family therapist (Band 8a)", True, 74000,
        ["engagement", "safeguarding", "psychological_therapy", "family_intervention",
         "group_facilitation"],
        0, 0.3, (0.5, ["consultant_psychologist"], 2), 0.8),
    "assistant_psychologist": (
        "Assistant psychologist (Band 5)", False, 36000,
        ["engagement", "cbt", "group_facilitation"],
        0, 0.3, (0.75, ["clinical_psychologist", "consultant_psychologist"], 0), 1.0),
    "wellbeing_practitioner": (
        "Psychological wellbeing practitioner (Band 5)", False, 37000,
        ["engagement", "cbt", "group_facilitation"],
        0, 0.3, (0.5, ["cbt_therapist", "clinical_psychologist"], 0), 1.0),
    "arts_therapist": (
        "Arts psychotherapist (Band 7)", True, 60000,
        ["engagement", "psychological_therapy", "group_facilitation"],
        0, 0.3, (0.375, ["consultant_psychologist"], 0), 0.8),
    "pharmacist": (
        "Mental health pharmacist (Band 8a)", True, 74000,
        ["medication", "prescribing", "physical_health"],
        0, 0.0, (0.25, ["consultant_psychiatrist"], 2), 0.8),
    "pharmacy_technician": (
        "Pharmacy technician (Band 5)", True, 39000,
        ["medication"],
        0, 0.0, (0.375, ["pharmacist"], 0), 1.0),
    "physiotherapist": (
        "Physiotherapist (Band 6)", True, 56000,
        ["physical_health", "group_facilitation"],
        0, 0.0, (0.375, ["senior_ot"], 0), 1.0),
    "dietitian": (
        "Dietitian (Band 6)", True, 56000,
        ["nutrition", "physical_health"],
        0, 0.0, (0.375, ["senior_ot", "consultant_nurse"], 0), 1.0),
    "dual_diagnosis_worker": (
        "Dual diagnosis practitioner (Band 6)", True, 58000,
        ["engagement", "care_coordination", "risk_assessment", "safeguarding",
         "substance_misuse", "cbt"],
        25, 0.3, (0.375, ["senior_nurse", "team_manager"], 2), 1.0),
    "substance_misuse_worker": (
        "Substance misuse recovery worker (Band 4)", False, 35000,
        ["engagement", "substance_misuse"],
        0, 0.4, (0.5, ["dual_diagnosis_worker", "community_nurse"], 0), 1.0),
    "ips_specialist": (
        "IPS employment specialist (Band 5)", False, 36000,
        ["engagement", "employment_support"],
        0, 0.4, (0.5, ["occupational_therapist", "senior_ot"], 0), 1.0),
    "housing_officer": (
        "Housing and tenancy officer (Band 4)", False, 32000,
        ["engagement", "housing_welfare"],
        0, 0.3, (0.375, ["social_worker", "senior_social_worker"], 0), 1.0),
    "welfare_rights_adviser": (
        "Welfare rights adviser (Band 4)", False, 33000,
        ["housing_welfare"],
        0, 0.0, (0.375, ["senior_social_worker"], 0), 1.0),
    "support_worker": (
        "Support worker (Band 3)", False, 30000,
        ["engagement", "medication", "physical_health", "housing_welfare", "group_facilitation"],
        0, 0.5, (0.375, ["community_nurse", "senior_nurse", "occupational_therapist"], 0), 1.0),
    "senior_support_worker": (
        "Senior support worker (Band 4)", False, 34000,
        ["engagement", "medication", "physical_health", "group_facilitation", "housing_welfare"],
        0, 0.4, (0.375, ["community_nurse", "senior_nurse", "social_worker"], 0), 1.0),
    "peer_worker": (
        "Peer support worker (Band 3)", False, 31000,
        ["engagement", "peer_support", "housing_welfare", "group_facilitation"],
        0, 0.6, (0.5, ["senior_peer_worker", "clinical_psychologist"], 0), 1.0),
    "senior_peer_worker": (
        "Senior peer support worker (Band 4)", False, 35000,
        ["engagement", "peer_support", "group_facilitation"],
        0, 0.5, (0.5, ["team_manager", "clinical_psychologist"], 4), 1.0),
    "crisis_support_worker": (
        "Crisis support worker (Band 3)", False, 31000,
        ["engagement", "medication", "crisis_intervention"],
        0, 0.0, (0.375, ["crisis_nurse", "senior_nurse"], 0), 1.0),
    "family_support_worker": (
        "Family and carer support worker (Band 4)", False, 33000,
        ["engagement", "family_intervention"],
        0, 0.4, (0.375, ["family_therapist", "social_worker"], 0), 1.0),
    "community_connector": (
        "Community connector / social prescriber (Band 4)", False, 32000,
        ["engagement", "housing_welfare", "employment_support"],
        0, 0.4, (0.375, ["social_worker", "occupational_therapist"], 0), 1.0),
}
# fmt: on

HEADROOM = {
    "annual_leave": 0.135,
    "sickness": 0.05,
    "study": 0.025,
    "admin_travel": 0.06,
}
HOURS_PER_FTE = 37.5

#: share of tasks limited to some pathway stages; with the tier bands below this sets the
#: size of the plain formulation (tuned so that x + y + p + z + d + slacks is ~90,000)
STAGE_RESTRICTED_SHARE = 0.5


# --------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------


#: review intervals a planner writes (weeks)
INTERVALS = [1, 2, 3, 4, 6, 8, 10, 12, 13, 16, 20, 26, 39, 52, 78, 104]


def _frequency(rate: float) -> dict[str, float]:
    """A frequency entry for ``rate`` occurrences a week, written as a planner would."""
    if rate >= 1:
        return {"per_week": round(rate * 2) / 2}
    weeks = min(INTERVALS, key=lambda w: abs(math.log(w * rate)))
    return {"every_weeks": weeks}


def _cohort(rng: random.Random) -> list[dict[str, Any]]:
    """8 tiers x 8 stages; crisis and home treatment weighted towards the higher tiers."""
    cohort = []
    for tier, (_, severity, _, people) in TIERS.items():
        for stage, share in STAGES.items():
            tilt = 1.0
            if stage in ("crisis", "home_treatment"):
                tilt = (0.2, 0.4, 0.5, 1.0, 1.2, 2.0, 3.0, 3.5)[TIER_IDS.index(tier)]
            if stage == "discharge" and severity >= 4:
                tilt = 0.4
            n = round(people * share * tilt * rng.uniform(0.75, 1.25))
            cohort.append({"tier": tier, "stage": stage, "people": max(1, n)})
    return cohort


def _tasks(rng: random.Random) -> dict[str, dict[str, Any]]:
    """150 tasks: frequencies rising with the tier, some stage-limited, registered-only,
    signed-off or continuity work, criticality by competency."""
    tasks: dict[str, dict[str, Any]] = {}
    for comp, activities in ACTIVITIES.items():
        _, _, (crit_lo, crit_hi) = COMPETENCIES[comp]
        for activity in activities:
            task: dict[str, Any] = {
                "title": activity.replace("_", " ").capitalize(),
                "competence": comp,
            }
            hours = rng.choice([0.5, 0.75, 1.0, 1.0, 1.5, 2.0, 3.0])
            # which tiers need it: a contiguous band of the eight
            shape = rng.random()
            if shape < 0.65:
                lo, hi = 0, 7
            elif shape < 0.85:
                lo, hi = rng.randint(2, 4), 7
            else:
                lo, hi = 0, rng.randint(3, 5)
            base = rng.uniform(0.012, 0.05) / hours
            frequency = {}
            for i in range(lo, hi + 1):
                # at least every two years for a tier that needs the task at all
                frequency[TIER_IDS[i]] = _frequency(max(base * TIER_INTENSITY[i], 1 / 104))
            task["hours"] = hours
            task["frequency"] = frequency
            if rng.random() < STAGE_RESTRICTED_SHARE:
                k = rng.randint(4, 7)
                task["stages"] = sorted(rng.sample(STAGE_IDS, k), key=STAGE_IDS.index)
            if comp in REGISTERED_RISK and rng.random() < 0.8:
                cut = rng.choice([5, 6, 6, 7])
                registered = [t for t in TIER_IDS[cut:] if t in frequency]
                if registered:
                    task["registered_for"] = registered
            if comp in CONTINUITY and rng.random() < 0.7:
                task["continuity"] = True
            if comp in SIGNOFF and rng.random() < 0.7:
                task["signoff_share"] = rng.choice([0.05, 0.1, 0.1, 0.15])
            criticality = rng.randint(crit_lo, crit_hi)
            if criticality != 3:
                task["criticality"] = criticality
            tasks[f"{comp}__{activity}" if activity in tasks else activity] = task
    return tasks


def _people(cohort: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """People by (tier, stage)."""
    return {(s["tier"], s["stage"]): s["people"] for s in cohort}


def _demand_by_competence(
    tasks: dict[str, dict[str, Any]], cohort: list[dict[str, Any]]
) -> dict[tuple[str, bool], float]:
    """Hours a week by (competence, registered only)."""
    people = _people(cohort)
    out: dict[tuple[str, bool], float] = {}
    for task in tasks.values():
        for (tier, stage), n in people.items():
            freq = task["frequency"].get(tier)
            if freq is None or ("stages" in task and stage not in task["stages"]):
                continue
            rate = freq.get("per_week") or 1.0 / freq["every_weeks"]
            key = (task["competence"], tier in task.get("registered_for", []))
            out[key] = out.get(key, 0.0) + n * rate * task["hours"]
    return out


def _establishment(
    rng: random.Random,
    tasks: dict[str, dict[str, Any]],
    cohort: list[dict[str, Any]],
    staffing: float = 1.0,
) -> dict[str, Any]:
    """FTE by role: each competency's hours shared over its holders, then jittered,
    then scaled by ``staffing`` (below 1: an under-resourced trust)."""
    available_per_fte = HOURS_PER_FTE * (1 - sum(HEADROOM.values()))
    hours: dict[str, float] = {r: 0.0 for r in ROLES}
    for (comp, registered_only), demand in _demand_by_competence(tasks, cohort).items():
        holders = [
            r for r, spec in ROLES.items() if comp in spec[3] and (spec[1] or not registered_only)
        ]
        # cheaper roles are meant to do more of the work (top-of-licence working)
        weights = {r: ROLES[r][7] * (60000 / ROLES[r][2]) ** 2 for r in holders}
        total = sum(weights.values())
        for r in holders:
            hours[r] += demand * weights[r] / total
    fte: dict[str, float] = {}
    for r in ROLES:
        fte[r] = max(hours[r] / available_per_fte / 0.97, 0.6) * rng.uniform(0.85, 1.08)
        fte[r] *= staffing
    heads = {r: f * rng.uniform(1.02, 1.15) for r, f in fte.items()}
    # supervisors: enough heads (x max_supervisees) for ~98% of the supervisees that
    # name them first; a few passes, as supervisors are supervised too
    for _ in range(3):
        slots: dict[str, float] = {r: 0.0 for r in ROLES}
        for r, spec in ROLES.items():
            needs, by, _ = spec[6]
            first = next((s for s in by if ROLES[s][6][2] > 0), None)
            if needs > 0 and first is not None:
                slots[first] += heads[r]
        for r, spec in ROLES.items():
            max_sup = spec[6][2]
            if max_sup > 0 and heads[r] * max_sup < 0.98 * slots[r]:
                heads[r] = 0.98 * slots[r] / max_sup
                fte[r] = max(fte[r], heads[r] / 1.08)
    establishment: dict[str, Any] = {}
    for r, spec in ROLES.items():
        value = round(fte[r], 1)
        if spec[6][0] > 0 or spec[6][2] > 0:
            headcount = max(math.ceil(heads[r]), math.ceil(value))
            establishment[r] = {"fte": value, "headcount": headcount}
        else:
            establishment[r] = value
    return establishment


def _roles() -> dict[str, dict[str, Any]]:
    """The ``roles`` section from :data:`ROLES`."""
    roles: dict[str, dict[str, Any]] = {}
    for r, (title, registered, cost, comps, caseload, share, sup, _) in ROLES.items():
        role: dict[str, Any] = {
            "title": title,
            "registered": registered,
            "annual_cost": float(cost),
            "competencies": list(comps),
        }
        if caseload:
            role["caseload_capacity"] = float(caseload)
        if share:
            role["protected_continuity_share"] = share
        needs, by, max_sup = sup
        if needs or max_sup:
            supervision: dict[str, Any] = {"needs_hours_per_week": needs}
            if by:
                supervision["supervised_by"] = list(by)
            if max_sup:
                supervision["max_supervisees"] = max_sup
            role["supervision"] = supervision
        roles[r] = role
    return roles


def generate(seed: int, staffing: float = 1.0) -> dict[str, Any]:
    """The scenario as plain data (deterministic in ``seed``)."""
    rng = random.Random(seed)
    cohort = _cohort(rng)
    tasks = _tasks(rng)
    establishment = _establishment(rng, tasks, cohort, staffing)
    competencies: dict[str, Any] = {}
    for c, (title, months, _) in COMPETENCIES.items():
        competencies[c] = {"title": title}
        if months:
            competencies[c]["signoff_valid_months"] = months
    tiers = {
        t: {"title": title, "severity": sev, "caseload_weight": weight}
        for t, (title, sev, weight, _) in TIERS.items()
    }
    max_fte = {
        r: round(max(2.0, 1.6 * (v["fte"] if isinstance(v, dict) else v)), 1)
        for r, v in establishment.items()
    }
    return {
        "name": f"Trust-scale benchmark (generated, seed {seed})"
        + ("" if staffing == 1.0 else f", staffing x{staffing:g}"),
        "source": "benchmarks/generate.py: synthetic, deterministic in the seed",
        "plan_date": "2027-04-01",
        "hours_per_fte": HOURS_PER_FTE,
        "headroom": {**HEADROOM, "source": "Illustrative roster headroom, 27% in all"},
        "competencies": competencies,
        "roles": _roles(),
        "establishment": establishment,
        "tiers": tiers,
        "cohort": cohort,
        "tasks": tasks,
        "policies": {
            "duty": {"hours_per_week": 300.0, "competence": "risk_assessment", "registered": True},
            "coordination_registered_for": ["amber_high", "red", "red_high"],
        },
        "volatility": {
            "people_cv": 0.1,
            "transitions": {
                "amber": {"amber_high": 0.08, "amber_low": 0.15},
                "amber_high": {"red": 0.1, "amber": 0.2},
                "red": {"red_high": 0.1, "amber_high": 0.3},
                "red_high": {"red": 0.35},
            },
            "seed": seed,
        },
        "sizing": {
            "fte_step": 0.1,
            "min_fte": {"consultant_psychiatrist": 1.0},
            "max_fte": max_fte,
        },
    }


class _Dumper(yaml.SafeDumper):
    """Block style, but short maps and lists inline (as the example scenario)."""


def _represent_dict(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    flow = all(not isinstance(v, dict | list) for v in data.values()) and len(data) <= 4
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flow)


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(not isinstance(v, dict | list) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(list, _represent_list)


def write(data: dict[str, Any], path: Path) -> None:
    """Write the scenario YAML (keys in the order of SCENARIO.md)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (
        "# Trust-scale benchmark scenario, generated by benchmarks/generate.py.\n"
        "# Synthetic planning figures; do not edit by hand (re-run the generator).\n"
    )
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, width=100, allow_unicode=True)
    path.write_text(header + text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Command line: write the scenario, load it back, print the naive model size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=HERE / "data" / "trust.yaml")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--staffing",
        type=float,
        default=1.0,
        help="scale every role's FTE (0.7: an under-resourced trust, thousands of shortfalls)",
    )
    args = parser.parse_args(argv)
    write(generate(args.seed, args.staffing), args.output)
    scenario = load_scenario(args.output)
    naive = build_naive(scenario)
    counts = naive.counts
    print(
        f"wrote {args.output}: {len(scenario.roles)} roles, {len(scenario.competencies)} "
        f"competencies, {len(scenario.tasks)} tasks, {len(scenario.tiers)} tiers, "
        f"{len(scenario.cohort)} segments, {sum(s.people for s in scenario.cohort)} people"
    )
    print(
        f"naive model: {naive.num_cols} variables ("
        + ", ".join(f"{k} {v}" for k, v in counts.items())
        + f"), {naive.num_rows} constraints, {naive.num_nonzeros} nonzeros"
    )
    for w in scenario.warnings:
        print(f"warning: {w}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
