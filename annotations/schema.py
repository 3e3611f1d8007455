from drf_spectacular.openapi import AutoSchema

from .serializers import ErrorSerializer

ERROR_DESCRIPTIONS = {
    "400": "Invalid input; `error.fields` names each bad field",
    "401": "No session or token, or a bad token",
    "403": "Your role does not allow this",
    "404": "No such object (or not visible to you), or no such page",
    "405": "Method not allowed",
    "406": "Only JSON responses are offered",
    "409": "The span changed since you read it",
    "413": "The request body is too large",
    "415": "Send JSON (or multipart where documented)",
    "429": "Too many requests; see Retry-After",
}


class NewsroomAutoSchema(AutoSchema):
    """Document the shared error shape on every operation."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ["400", "401", "403", "404", "405", "406", "429"]
        if self.method in ("POST", "PUT", "PATCH"):
            codes += ["413", "415"]
        for code in codes:
            if code not in responses:
                response = self._get_response_for_code(
                    ErrorSerializer, code, direction=direction
                )
                response["description"] = ERROR_DESCRIPTIONS[code]
                responses[code] = response
        return responses
