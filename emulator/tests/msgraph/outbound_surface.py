"""Microsoft's Graph SDK for Python (msgraph-beta-sdk, on Kiota) against the emulator: it signs in
with azure-identity, creates a flow set with a filter and a flow of each of the four types from
its own typed models, lists them back into those models, reads the role groups and resets a flow.

Usage: outbound_surface.py BASE_URL TENANT CLIENT_ID CLIENT_SECRET (SSL_CERT_FILE and
REQUESTS_CA_BUNDLE name the emulator's CA). Prints one JSON object; exits 1 when the SDK fails.
"""

import asyncio
import json
import sys

from azure.identity.aio import ClientSecretCredential
from msgraph_beta import GraphServiceClient
from msgraph_beta.generated.models.industry_data.additional_class_group_attributes import (
    AdditionalClassGroupAttributes,
)
from msgraph_beta.generated.models.industry_data.additional_class_group_options import (
    AdditionalClassGroupOptions,
)
from msgraph_beta.generated.models.industry_data.additional_user_attributes import (
    AdditionalUserAttributes,
)
from msgraph_beta.generated.models.industry_data.additional_user_options import AdditionalUserOptions
from msgraph_beta.generated.models.industry_data.admin_unit_creation_options import (
    AdminUnitCreationOptions,
)
from msgraph_beta.generated.models.industry_data.administrative_unit_provisioning_flow import (
    AdministrativeUnitProvisioningFlow,
)
from msgraph_beta.generated.models.industry_data.basic_filter import BasicFilter
from msgraph_beta.generated.models.industry_data.class_group_configuration import (
    ClassGroupConfiguration,
)
from msgraph_beta.generated.models.industry_data.class_group_provisioning_flow import (
    ClassGroupProvisioningFlow,
)
from msgraph_beta.generated.models.industry_data.enrollment_mappings import EnrollmentMappings
from msgraph_beta.generated.models.industry_data.filter_options import FilterOptions
from msgraph_beta.generated.models.industry_data.outbound_provisioning_flow_set import (
    OutboundProvisioningFlowSet,
)
from msgraph_beta.generated.models.industry_data.section_role_reference_value import (
    SectionRoleReferenceValue,
)
from msgraph_beta.generated.models.industry_data.security_group_creation_options import (
    SecurityGroupCreationOptions,
)
from msgraph_beta.generated.models.industry_data.security_group_provisioning_flow import (
    SecurityGroupProvisioningFlow,
)
from msgraph_beta.generated.models.industry_data.simple_password_settings import (
    SimplePasswordSettings,
)
from msgraph_beta.generated.models.industry_data.student_age_group import StudentAgeGroup
from msgraph_beta.generated.models.industry_data.user_configuration import UserConfiguration
from msgraph_beta.generated.models.industry_data.user_creation_options import UserCreationOptions
from msgraph_beta.generated.models.industry_data.user_management_options import (
    UserManagementOptions,
)
from msgraph_beta.generated.models.industry_data.user_provisioning_flow import UserProvisioningFlow


async def main(base, tenant, client_id, secret):
    credential = ClientSecretCredential(
        tenant, client_id, secret, authority=base, disable_instance_discovery=True
    )
    client = GraphServiceClient(
        credentials=credential, scopes=["https://graph.microsoft.com/.default"]
    )
    client.request_adapter.base_url = f"{base}/beta"
    industry_data = client.external.industry_data
    flow_set = await industry_data.outbound_provisioning_flow_sets.post(
        OutboundProvisioningFlowSet(
            display_name="Contoso district",
            filter=BasicFilter(attribute=FilterOptions.OrgExternalId, in_=["school-1", "school-2"]),
        )
    )
    flows = industry_data.outbound_provisioning_flow_sets.by_outbound_provisioning_flow_set_id(
        flow_set.id
    ).provisioning_flows
    await flows.post(
        SecurityGroupProvisioningFlow(
            creation_options=SecurityGroupCreationOptions(
                create_based_on_role_group=True, create_based_on_org_plus_role_group=False
            )
        )
    )
    await flows.post(
        AdministrativeUnitProvisioningFlow(
            creation_options=AdminUnitCreationOptions(
                create_based_on_org=True, create_based_on_org_plus_role_group=True
            )
        )
    )
    await flows.post(
        ClassGroupProvisioningFlow(
            configuration=ClassGroupConfiguration(
                additional_attributes=[AdditionalClassGroupAttributes.CourseTitle],
                additional_options=AdditionalClassGroupOptions(
                    create_team=True, write_display_name_on_create_only=False
                ),
                enrollment_mappings=EnrollmentMappings(
                    owner_enrollment_mappings=[SectionRoleReferenceValue(code="Teacher")],
                    member_enrollment_mappings=[SectionRoleReferenceValue(code="student")],
                ),
            )
        )
    )
    user = await flows.post(
        UserProvisioningFlow(
            create_unmatched_users=True,
            management_options=UserManagementOptions(
                additional_attributes=[AdditionalUserAttributes.UserGradeLevel],
                additional_options=AdditionalUserOptions(student_age_group=StudentAgeGroup.Minor),
            ),
            creation_options=UserCreationOptions(
                configurations=[
                    UserConfiguration(
                        additional_data={
                            "roleGroup@odata.bind": f"{base}/beta/external/industryData/roleGroups/students"
                        },
                        default_password_settings=SimplePasswordSettings(password="Sup3rS3cret!"),
                        license_skus=["STANDARDWOFFPACK_STUDENT"],
                    )
                ]
            ),
        )
    )
    listed = await flows.get()
    await flows.by_provisioning_flow_id(user.id).microsoft_graph_industry_data_reset.post()
    role_groups = await industry_data.role_groups.get()
    got_set = await industry_data.outbound_provisioning_flow_sets.by_outbound_provisioning_flow_set_id(
        flow_set.id
    ).get()
    configuration = next(
        flow for flow in listed.value if isinstance(flow, ClassGroupProvisioningFlow)
    ).configuration
    user_configuration = next(
        flow for flow in listed.value if isinstance(flow, UserProvisioningFlow)
    ).creation_options.configurations[0]
    print(
        json.dumps(
            {
                "flowSet": got_set.id,
                "filter": list(got_set.filter.in_),
                "types": sorted(type(flow).__name__ for flow in listed.value),
                "readiness": sorted({flow.readiness_status.value for flow in listed.value}),
                "ownerCode": configuration.enrollment_mappings.owner_enrollment_mappings[0].code,
                "roleGroup": user_configuration.role_group.id,
                "password": user_configuration.default_password_settings.password,
                "roleGroups": [group.id for group in role_groups.value],
            }
        )
    )
    await credential.close()


asyncio.run(main(*sys.argv[1:5]))
