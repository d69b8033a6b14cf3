import { registerEnumType } from "type-graphql";
import {
  AccessGround,
  AgeBand,
  AllianceLevel,
  AssistanceCategory,
  ExitReason,
  FundingSource,
  GrantLevel,
  HouseholdChangeKind,
  HouseholdStatus,
  IncomeKind,
  MemberChangeKind,
  OperatingStatus,
  OrganizationKind,
  ProjectStatus,
  RequestStatus,
  Role,
  ServiceCategory,
  ServiceRequestEventKind,
  Urgency,
} from "./enum-values";

export {
  AccessGround,
  AgeBand,
  AllianceLevel,
  AssistanceCategory,
  ExitReason,
  FundingSource,
  GrantLevel,
  HouseholdChangeKind,
  HouseholdStatus,
  IncomeKind,
  MemberChangeKind,
  OperatingStatus,
  OrganizationKind,
  ProjectStatus,
  RequestStatus,
  Role,
  ServiceCategory,
  ServiceRequestEventKind,
  Urgency,
};

registerEnumType(AllianceLevel, {
  name: "AllianceLevel",
  description: "Level of an alliance node: 市 / 县(市、区) / 乡镇(街道) / 村(社区).",
});
registerEnumType(OperatingStatus, { name: "OperatingStatus", description: "规范运行 status of an alliance." });
registerEnumType(OrganizationKind, {
  name: "OrganizationKind",
  valuesConfig: {
    GOVERNMENT_DEPARTMENT: { description: "联动部门机构" },
    SOCIAL_ORGANIZATION: { description: "社会组织" },
    SOCIAL_GROUP: { description: "社会团体" },
  },
});
registerEnumType(ServiceCategory, {
  name: "ServiceCategory",
  valuesConfig: {
    PRECISION_ASSISTANCE: { description: "精准帮扶: material aid, policy explanation, application help" },
    PSYCHOLOGICAL_SUPPORT: { description: "心理赋能" },
    SKILLS_TRAINING: { description: "技能培训" },
    COMMUNITY_INTEGRATION: { description: "社区融入" },
    EMPLOYMENT: { description: "就业帮扶" },
    MINOR_CARE: { description: "未成年人关爱" },
  },
});
registerEnumType(ProjectStatus, { name: "ProjectStatus" });
registerEnumType(FundingSource, {
  name: "FundingSource",
  valuesConfig: { WELFARE_LOTTERY: { description: "福彩公益金" } },
});
registerEnumType(GrantLevel, { name: "GrantLevel" });
registerEnumType(AssistanceCategory, {
  name: "AssistanceCategory",
  valuesConfig: {
    DIBAO: { description: "低保" },
    DIBAO_MARGINAL: { description: "低保边缘" },
    EXTREME_POVERTY: { description: "特困供养" },
    OTHER_MONITORED: { description: "其他监测对象" },
  },
});
registerEnumType(HouseholdStatus, {
  name: "HouseholdStatus",
  valuesConfig: {
    ACTIVE: { description: "Followed: registered and not exited." },
    EXITED: { description: "No longer followed since `exitedOn` (exitHousehold); its history stays." },
  },
});
registerEnumType(ExitReason, {
  name: "ExitReason",
  description: "Why a household left the monitored population.",
  valuesConfig: {
    NO_LONGER_ELIGIBLE: { description: "No longer eligible (income or assets above the line)." },
    MOVED_AWAY: { description: "Moved out of the area." },
    DECEASED: { description: "The household's last member died." },
    MERGED: { description: "Merged into another household." },
    OTHER: { description: "Another reason, given in the note." },
  },
});
registerEnumType(HouseholdChangeKind, {
  name: "HouseholdChangeKind",
  valuesConfig: {
    REGISTERED: { description: "The history's start: the household recognized (认定) in its first category." },
    CATEGORY_CHANGED: { description: "The household moved to another category." },
    EXITED: { description: "The household left the monitored population." },
  },
});
registerEnumType(MemberChangeKind, {
  name: "MemberChangeKind",
  valuesConfig: {
    ADDED: { description: "A person joined the household (at registration, by birth, marriage, moving in)." },
    REMOVED: { description: "A person left the household (death, moving out, marriage)." },
    UPDATED: { description: "A member's name or birth date was corrected." },
  },
});
registerEnumType(AgeBand, {
  name: "AgeBand",
  valuesConfig: {
    UNDER_7: { description: "0-6" },
    AGE_7_TO_10: { description: "7-10" },
    AGE_11_TO_14: { description: "11-14" },
    ELDERLY: { description: "60 and over" },
  },
});
registerEnumType(RequestStatus, { name: "RequestStatus" });
registerEnumType(Urgency, { name: "Urgency" });
registerEnumType(ServiceRequestEventKind, { name: "ServiceRequestEventKind" });
registerEnumType(Role, {
  name: "Role",
  valuesConfig: {
    ADMIN: { description: "City civil-affairs administrator: everything." },
    COORDINATOR: { description: "Alliance coordinator: everything in the subtree of `alliance`, PII included." },
    PARTNER: {
      description:
        "Member of a partner organization: open needs where the organization is a member (and below), PII masked except for households assigned to the organization and households of requests it claimed that another party raised.",
    },
  },
});
registerEnumType(AccessGround, {
  name: "AccessGround",
  description: "Why an account saw a household's names and ID number unmasked.",
  valuesConfig: {
    ASSIGNED: { description: "The partner's organization holds a care assignment (结对帮扶) for the household, active that day." },
    CLAIMED: { description: "The partner's organization holds the claim of a request for the household that another party raised." },
    COORDINATOR: { description: "The household lies in the coordinator's subtree." },
    ADMIN: { description: "The city administrator." },
    JOINT_TASK: { description: "The partner is the department an open (PENDING or ACCEPTED) joint-handling task for the household is routed to." },
  },
});
registerEnumType(IncomeKind, {
  name: "IncomeKind",
  valuesConfig: {
    WAGE: { description: "Wages of ordinary employment." },
    SUPPORTED_JOB_WAGE: { description: "幸福岗位: wages of a supported job; see CountyAssistanceSetting.exemptSupportedJobWage." },
    PENSION: { description: "Pensions." },
    OTHER: { description: "Any other income." },
  },
});
