export { Funding, WelfareLotteryGrant } from "./funding.types";
export { FundingService } from "./funding.service";
export { grantById, projectFundingTotal, projectFundings } from "./funding.loaders";
export { FundingResolver, ServiceProjectFundingResolver, WelfareLotteryGrantResolver } from "./funding.resolver";
